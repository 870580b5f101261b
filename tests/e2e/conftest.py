"""Fixtures of the end-to-end suite.

Each scenario folder holds the routing script per engine (script.lua,
script.py, script.js, native.cfg) and a test_*.py driving it over SIP. The
`engine` fixture (module scope) runs every test of a scenario once per engine
it supports; test ids carry the engine (lua51, lua54, python, jsdt, native),
which is what ctest selects with -k.
"""

import os
import re
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness.servers import (ENGINES, STARTED, Kamailio, Memcached,  # noqa
                             check_prerequisites, start_kamailio)


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("e2e"))


@pytest.fixture(scope="module")
def memcached(workdir):
    m = Memcached(workdir).start()
    yield m
    m.stop()


@pytest.fixture
def mc(memcached):
    """A raw client to the (running) test memcached; restarts it first if a
    previous test left it stopped."""
    if not memcached.running():
        memcached.start()
    c = memcached.client()
    yield c
    c.close()


@pytest.fixture(scope="module", params=ENGINES)
def engine(request):
    """Overridden by scenarios that support fewer engines."""
    return request.param


@pytest.fixture(scope="module")
def modparams():
    """Extra params of our module; a scenario overrides it."""
    return {}


@pytest.fixture(scope="module")
def kamailio(request, workdir, engine, memcached, modparams):
    """Kamailio running the requesting scenario's script for `engine`.
    Teardown fails the last test if Kamailio died underway."""
    check_prerequisites(engine)
    scenario_dir = getattr(request.module, "SCENARIO_DIR",
                           os.path.dirname(str(request.module.__file__)))
    k = start_kamailio(workdir, engine, scenario_dir, memcached.port,
                       name=f"{os.path.basename(scenario_dir)}-{engine}",
                       modparams=modparams)
    yield k
    alive = k.alive()
    k.stop()
    if not alive:
        pytest.fail(f"kamailio ({engine}) died during the scenario; log:\n"
                    + k.log_tail())


@pytest.fixture
def own(request, workdir, engine):
    """start(mc_port, **modparams) -> a Kamailio of the requesting module's
    scenario (its SCENARIO_DIR, default its folder) for engine, with those
    params; each is stopped after the test, which fails if one died."""
    check_prerequisites(engine)
    scenario_dir = getattr(request.module, "SCENARIO_DIR",
                           os.path.dirname(str(request.module.__file__)))
    prefix = os.path.basename(os.path.dirname(str(request.module.__file__)))
    started = []

    def start(mc_port, **modparams):
        k = start_kamailio(workdir, engine, scenario_dir, mc_port,
                           name=f"{prefix}-{engine}-{len(started)}",
                           modparams=modparams)
        started.append(k)
        return k

    yield start
    dead = [k.dir for k in started if not k.alive()]
    for k in started:
        k.stop()
    assert not dead, f"kamailio died: {dead}"


@pytest.fixture
def sip(kamailio, memcached):
    """A SIP client to the scenario's Kamailio; memcached is running."""
    if not memcached.running():
        memcached.start()
    c = kamailio.client()
    yield c
    c.close()
    assert kamailio.alive(), "kamailio died:\n" + kamailio.log_tail()


@pytest.fixture
def key(request):
    """A key unique to this test (its id carries the engine)."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)[:120]
    return f"e2e-{name}-{os.urandom(3).hex()}"


def pytest_configure(config):
    for m in ("kemi_only: the test has no native-cfg form",
              "native_only: the test is about PVs; KEMI has its own"):
        config.addinivalue_line("markers", m)


def _applies(item):
    """Whether an engine-parametrized test exists for its engine: a test
    marked kemi_only has no native form, one marked native_only is about the
    PVs (deselected, not skipped). Every KEMI function has a native cfg twin
    (mc_<name>), so nothing else is left out on native."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    engine = params.get("engine")
    if engine is None:
        return True
    native = engine == "native"
    if item.get_closest_marker("kemi_only") and native:
        return False
    if item.get_closest_marker("native_only") and not native:
        return False
    return True


def pytest_collection_modifyitems(config, items):
    keep = [i for i in items if _applies(i)]
    dropped = [i for i in items if not _applies(i)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    item._kam_mark = len(STARTED)
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    shown = set()
    for k in list(item.funcargs.values()) + STARTED[getattr(
            item, "_kam_mark", 0):]:
        if isinstance(k, Kamailio) and id(k) not in shown:
            shown.add(id(k))
            rep.sections.append((f"kamailio log {k.dir}", k.log_tail(120)))
