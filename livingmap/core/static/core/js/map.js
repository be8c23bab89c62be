/* Living Map: draws the page's map from the JSON in <script id="map-data" type="application/json">.
   The map is an enhancement: every page lists the same places without it, and this script only
   reveals the map's container once Leaflet has loaded. Markers and boundaries need no tiles, so the
   map stays useful when the tile server cannot be reached. */
(function () {
  "use strict";
  var dataElement = document.getElementById("map-data");
  var block = document.querySelector("[data-lm-map]");
  if (!dataElement || !block || !window.L) {
    return;
  }
  var data = JSON.parse(dataElement.textContent);

  /* With nothing to show, the map starts on the loaded area (its bounds, from the data, in
     <script id="area-view">), or on Great Britain if no area is loaded. */
  function fallbackView(map) {
    var area = document.getElementById("area-view");
    var view = area ? JSON.parse(area.textContent) : null;
    if (view) {
      map.fitBounds(view);
    } else {
      map.setView([54.5, -2.5], 6);
    }
  }
  var container = block.querySelector(".lm-map");
  block.hidden = false;

  var map = L.map(container, { scrollWheelZoom: false, zoomSnap: 0.5 });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');

  var tiles = L.tileLayer(data.tiles.url, {
    attribution: data.tiles.attribution,
    maxZoom: 19
  });
  var offline = block.querySelector(".lm-map-offline");
  var shownOffline = false;
  tiles.on("tileerror", function () {
    if (!shownOffline && offline) {
      shownOffline = true;
      offline.hidden = false;
    }
  });
  tiles.addTo(map);

  var icon = L.icon({
    iconUrl: data.icon.url,
    iconRetinaUrl: data.icon.retina,
    shadowUrl: data.icon.shadow,
    iconSize: [25, 41],
    iconAnchor: [12, 41],
    popupAnchor: [1, -34],
    tooltipAnchor: [16, -28],
    shadowSize: [41, 41]
  });

  function popup(point) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = data.asset_url.replace("{uuid}", point[3]);
    link.textContent = point[2];
    var strong = document.createElement("strong");
    strong.appendChild(link);
    box.appendChild(strong);
    var kind = document.createElement("div");
    kind.textContent = data.kinds[point[4]] || "";
    box.appendChild(kind);
    return box;
  }

  var markers = data.cluster && L.markerClusterGroup
    ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 })
    : L.featureGroup();
  data.points.forEach(function (point) {
    var marker = L.marker([point[0], point[1]], { icon: icon, title: point[2], alt: point[2] });
    marker.bindPopup(function () { return popup(point); });
    markers.addLayer(marker);
  });
  markers.addTo(map);

  var bounds = null;
  if (data.boundary) {
    var outline = L.geoJSON(data.boundary, {
      style: { color: "#1d70b8", weight: 3, fillColor: "#1d70b8", fillOpacity: 0.06 },
      interactive: false
    }).addTo(map);
    bounds = outline.getBounds();
  } else if (data.points.length) {
    bounds = markers.getBounds();
  }
  if (data.points.length === 1 && !data.boundary) {
    map.setView([data.points[0][0], data.points[0][1]], data.zoom || 16);
  } else if (bounds && bounds.isValid()) {
    map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16 });
  } else {
    fallbackView(map);
  }
})();
