/* Living Map insights: the gaps choropleth, drawn from <script id="gaps-map-data">. An
   enhancement: the table beside it holds every figure, and the map's container stays hidden
   until Leaflet has loaded. Colours match the key (insights.css). */
(function () {
  "use strict";
  var dataElement = document.getElementById("gaps-map-data");
  var block = document.querySelector("[data-lm-gaps-map]");
  if (!dataElement || !block || !window.L) {
    return;
  }
  var data = JSON.parse(dataElement.textContent);
  var colours = ["#f3f2f1", "#56b4e9", "#e69f00", "#d55e00"];
  block.hidden = false;
  var map = L.map(block.querySelector(".lm-map"), { scrollWheelZoom: false, zoomSnap: 0.5 });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution, maxZoom: 19 }).addTo(map);
  var layer = L.geoJSON(data.areas, {
    style: function (feature) {
      return {
        color: "#0b0c0c",
        weight: 1,
        fillColor: colours[feature.properties.status] || colours[0],
        fillOpacity: 0.7
      };
    },
    onEachFeature: function (feature, shape) {
      var p = feature.properties;
      var box = document.createElement("div");
      var name = document.createElement("strong");
      name.textContent = p.name + " (" + p.code + ")";
      box.appendChild(name);
      var line = document.createElement("div");
      line.textContent = p.label + "; national decile " + p.decile +
        "; " + (p.rate === null ? "–" : p.rate) + " per 1,000 residents";
      box.appendChild(line);
      shape.bindPopup(box);
    }
  }).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) {
    map.fitBounds(bounds, { padding: [10, 10] });
  } else {
    var area = document.getElementById("area-view");
    var view = area ? JSON.parse(area.textContent) : null;
    if (view) {
      map.fitBounds(view);
    } else {
      map.setView([54.5, -2.5], 6);
    }
  }
})();
