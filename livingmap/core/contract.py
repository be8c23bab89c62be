"""The app contract: what a domain app adds to the site, declared in one place, its `AppConfig`.

A domain app's `apps.py` subclasses `LivingMapApp` and sets a few attributes; the project finds
them by walking `django.apps.apps.get_app_configs()`:

- `livingmap/urls.py` mounts each app's `urls` module at its `url_prefix`;
- `livingmap/api.py` adds each app's `api_router` at its `api_prefix` (and its `api_errors`);
- `livingmap --help` lists each app's `commands`;
- the site menu (`core.context_processors.site`) shows each app's `menu` entries, in `order`,
  each only to those its `permission` allows;
- the open data page lists each app's `downloads`;
- `livingmap load_demo` calls each app's `demo` loader (through `assets.demo.demo_loaded`);
- `ready()` imports the app's `rules` module (its permission predicates) and its `receivers`
  modules (signal receivers), so neither needs code of its own.

Adding an app is then a folder and one line in `INSTALLED_APPS` (docs/architecture.md, "Adding a
domain app"). `core` knows nothing of the apps above it: where a slot needs something of theirs
(the permission registry, the demo signal) that app plugs it in (`use_permission_checker`).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import AppConfig, apps
from django.utils.module_loading import import_string

#: The files every domain app has (DESIGN.md §3); an app that lacks one says why in
#: `missing_files` (`core/tests/test_contract.py` checks both). A path ending in "/" is a folder.
STANDARD_FILES = (
    "apps.py",
    "models.py",
    "services.py",
    "selectors.py",
    "views.py",
    "urls.py",
    "api.py",
    "templates/{label}/",
    "tests/",
    "tests/__init__.py",
)
#: Required only where the app has something of the kind: `rules.py` where it has permissions
#: of its own (an app whose views call `can`/`require` with its own actions), `migrations/`
#: where it has models, `receivers.py` where it lists receivers.


@dataclass(frozen=True)
class MenuEntry:
    """One link in the site menu. `section` names the URL names of the pages that belong to it
    (the link is marked current on them); `order` places it among every app's entries;
    `permission`, an action of the permission registry, shows it only to those it allows."""

    label: str
    url_name: str
    section: frozenset[str] = frozenset()
    order: int = 100
    permission: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "section", frozenset(self.section) | {self.url_name})


@dataclass(frozen=True)
class Command:
    """One `livingmap` command as `livingmap --help` lists it: under `group` ("" is the data
    commands at the top), in `order` among every app's commands of that group."""

    name: str
    help: str
    group: str = ""
    order: int = 100


class LivingMapApp(AppConfig):
    """The base of every domain app's config. Every attribute has a default that means "this
    app adds nothing of the kind", except `urls` and `api_router`, which are found by their
    usual names when the app has those modules."""

    #: Where the app's pages live: "" at the site's root, "openreferral/" below that prefix.
    url_prefix: str = ""
    #: The module of its URL patterns; by default `<app>.urls` when the app has one.
    urls: str | None = None
    #: Where its API router is mounted below /api/ ("/" at /api/ itself; "" for no API), and the
    #: router's path (a `ninja.Router`), by default `<app>.api.router`.
    api_router: str | None = None
    api_prefix: str = ""
    #: Where its router sits among the others in the API (and in /api/docs).
    api_order: int = 100
    #: Errors its selectors raise that the API answers as {"detail": message}: the exception's
    #: dotted path to the status code.
    api_errors: dict[str, int] = {}
    #: Its entries in the site menu.
    menu: tuple[MenuEntry, ...] = ()
    #: The dotted path of a callable returning its files for the open data page (a list of
    #: `core.downloads.Download`).
    downloads: str | None = None
    #: The dotted path of its demo loader: `loader(sender, **kwargs)` returning a list of
    #: ImportReports, called by `livingmap load_demo` after the real data is in.
    demo: str | None = None
    #: Modules that connect signal receivers when imported (`@receiver`).
    receivers: tuple[str, ...] = ()
    #: Its `livingmap` commands, as `livingmap --help` lists them.
    commands: tuple[Command, ...] = ()
    #: Where its scheduled jobs are declared, for the task scheduler: a module, by default
    #: `<app>.tasks` when the app has one (see `jobs_module`). The contract only names it; the
    #: scheduler reads it.
    jobs: str | None = None
    #: A standard file (see STANDARD_FILES) the app does without, and why.
    missing_files: dict[str, str] = {}

    #: Not itself an app: an apps.py that imports this base and subclasses it has one AppConfig
    #: for Django to pick (each subclass is `default` unless it says otherwise).
    default = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "default" not in cls.__dict__:
            cls.default = True

    def ready(self) -> None:
        self.import_rules()
        for module in self.receivers:
            importlib.import_module(module)

    # -- what the project reads ----------------------------------------------------------------

    def has_module(self, name: str) -> bool:
        return importlib.util.find_spec(f"{self.name}.{name}") is not None

    def import_rules(self) -> None:
        """Import `<app>.rules` if the app has one: its `@rule`s join the permission registry."""
        if self.has_module("rules"):
            importlib.import_module(f"{self.name}.rules")

    @property
    def urls_module(self) -> str | None:
        if self.urls is not None:
            return self.urls
        return f"{self.name}.urls" if self.has_module("urls") else None

    @property
    def jobs_module(self) -> str | None:
        if self.jobs is not None:
            return self.jobs
        return f"{self.name}.tasks" if self.has_module("tasks") else None

    def router(self) -> Any | None:
        """Its API router, or None (an app without an `api_prefix` has no API)."""
        if not self.api_prefix:
            return None
        if self.api_router is not None:
            return import_string(self.api_router)
        if not self.has_module("api"):
            return None
        return getattr(importlib.import_module(f"{self.name}.api"), "router", None)


def domain_apps() -> list[LivingMapApp]:
    """Every installed app that follows the contract, in INSTALLED_APPS order."""
    return [app for app in apps.get_app_configs() if isinstance(app, LivingMapApp)]


def url_includes() -> list[tuple[str, str]]:
    """(prefix, urls module) of every app with pages, in INSTALLED_APPS order."""
    return [(app.url_prefix, app.urls_module) for app in domain_apps() if app.urls_module]


def api_routers() -> list[tuple[str, Any]]:
    """(prefix, router) of every app with an API, in `api_order` (then INSTALLED_APPS) order."""
    found = [(app, app.router()) for app in domain_apps()]
    ordered = sorted((pair for pair in found if pair[1] is not None), key=lambda p: p[0].api_order)
    return [(app.api_prefix, router) for app, router in ordered]


def api_errors() -> list[tuple[type[Exception], int]]:
    """(exception class, status) the API answers as {"detail": message}, from every app."""
    return [
        (import_string(path), status)
        for app in domain_apps()
        for path, status in app.api_errors.items()
    ]


def menu_entries() -> list[MenuEntry]:
    """Every app's menu entries, in `order` (then INSTALLED_APPS order)."""
    return sorted((e for app in domain_apps() for e in app.menu), key=lambda e: e.order)


def commands() -> list[Command]:
    """Every app's `livingmap` commands, in group then `order`."""
    return sorted((c for app in domain_apps() for c in app.commands), key=lambda c: c.order)


def downloads() -> list[Any]:
    """Every app's open data files, in INSTALLED_APPS order."""
    return [d for app in domain_apps() if app.downloads for d in import_string(app.downloads)()]


def job_modules() -> list[tuple[str, str]]:
    """(app label, module) of every app that declares scheduled jobs (for the task scheduler)."""
    return [(app.label, app.jobs_module) for app in domain_apps() if app.jobs_module]


def demo_loaders() -> Iterator[tuple[str, Callable[..., Any]]]:
    """(app label, loader) of every app with demo data."""
    for app in domain_apps():
        if app.demo:
            yield app.label, import_string(app.demo)


# -- the permission check behind menu entries ------------------------------------------------


@dataclass
class _Checker:
    can: Callable[[Any, str], bool] | None = None
    known: Callable[[], Iterable[str]] = field(default=lambda: ())


_checker = _Checker()


def use_permission_checker(
    can: Callable[[Any, str], bool], known: Callable[[], Iterable[str]]
) -> None:
    """Plug in the permission registry (the accounts app does, in its ready()): `can(user,
    action)` decides who sees a menu entry with a `permission`; `known()` names every action."""
    _checker.can, _checker.known = can, known


def allowed(user: Any, permission: str) -> bool:
    """Whether `user` may see something guarded by `permission` ("" for everyone). With no
    registry plugged in, a guarded entry is hidden."""
    if not permission:
        return True
    return bool(_checker.can and _checker.can(user, permission))


def known_permissions() -> set[str]:
    return set(_checker.known())
