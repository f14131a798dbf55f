"""Admins and supervisors see every IVR flow, drawn, and the files that were refused."""

from __future__ import annotations

import pytest

from contactcenter.accounts.models import Role
from tests.support.factories import PASSWORD, gen_agent, gen_queue


@pytest.fixture
def staff(db, runtime, client):  # type: ignore[no-untyped-def]
    for name in ("support", "billing", "technical", "sales"):
        gen_queue(db, name)
    runtime.reload_flows()
    gen_agent(db, "sam", role=Role.SUPERVISOR)
    gen_agent(db, "alice")
    return client


def _login(client, username):  # type: ignore[no-untyped-def]
    client.post("/login", data={"username": username, "password": PASSWORD})


def test_supervisor_sees_the_demo_flow_drawn(staff):
    _login(staff, "sam")
    page = staff.get("/admin/flows")
    assert page.status_code == 200
    assert b"acme-support" in page.data and b"answering inbound calls" in page.data
    assert b'<pre class="mermaid" data-flow="acme-support">flowchart TD' in page.data
    assert b"vendor/mermaid.min.js" in page.data and b"cdn" not in page.data.lower()
    mermaid = staff.get("/admin/flows/acme-support.mmd")
    assert mermaid.data.startswith(b"flowchart TD")


def test_agents_cannot_open_admin_pages(staff):
    _login(staff, "alice")
    assert staff.get("/admin/flows").status_code == 403
    assert staff.get("/admin/flows/acme-support.mmd").status_code == 403


@pytest.mark.parametrize("name", ["nope", "..%2F..%2Fetc%2Fpasswd", "<script>"])
def test_unknown_flow_is_404(staff, name):
    _login(staff, "sam")
    assert staff.get(f"/admin/flows/{name}.mmd").status_code == 404


def test_refused_flow_is_listed_with_its_problems(staff, runtime, tmp_path):
    (tmp_path / "broken.yaml").write_text(
        "flow: broken\nversion: 1\nstart: a\nnodes:\n  a: {type: say, prompt: hi, next: b}\n"
    )
    runtime.settings = runtime.settings.with_overrides(ivr_flows_dir=str(tmp_path))
    runtime.reload_flows()
    _login(staff, "sam")
    page = staff.get("/admin/flows")
    assert b"Refused files" in page.data and b"broken.yaml" in page.data


# -- publishing ---------------------------------------------------------------------------------

SMALL_FLOW = """flow: small
version: 2
start: hello
nodes:
  hello: {type: say, prompt: "Welcome <b>friend</b>", next: agent}
  agent: {type: queue, queue: support}
"""


def _admin(staff, db):  # type: ignore[no-untyped-def]
    gen_agent(db, "ada", role=Role.ADMIN)
    _login(staff, "ada")
    return staff


def test_an_admin_publishes_a_valid_flow(staff, db, runtime, tmp_path):
    runtime.settings = runtime.settings.with_overrides(ivr_flows_dir=str(tmp_path))
    runtime.reload_flows()
    client = _admin(staff, db)
    resp = client.post("/admin/flows", data={"yaml": SMALL_FLOW})
    assert resp.status_code == 303
    assert (tmp_path / "small.yaml").read_text() == SMALL_FLOW
    assert runtime.flows.get("small").version == 2
    source = client.get("/admin/flows/small.yaml")
    assert source.status_code == 200 and b"version: 2" in source.data
    page = client.get("/admin/flows").data
    assert b"small" in page and b"<b>friend</b>" not in page


def test_publishing_replaces_the_file_the_flow_came_from(staff, db, runtime, tmp_path):
    (tmp_path / "demo.yaml").write_text(SMALL_FLOW)
    runtime.settings = runtime.settings.with_overrides(ivr_flows_dir=str(tmp_path))
    runtime.reload_flows()
    client = _admin(staff, db)
    assert client.post("/admin/flows", data={"yaml": SMALL_FLOW.replace("version: 2", "version: 3")}).status_code == 303
    assert "version: 3" in (tmp_path / "demo.yaml").read_text() and not (tmp_path / "small.yaml").exists()
    runtime.reload_flows()  # a restart serves the published version, not an older twin
    assert runtime.flows.get("small").version == 3


@pytest.mark.parametrize(
    "text,problem",
    [
        (SMALL_FLOW.replace("next: agent", "next: nowhere"), b"nowhere"),
        (SMALL_FLOW.replace("queue: support", "queue: no_such_queue"), b"no_such_queue"),
        ("a: &a [*a]", b"YAML"),
        ("<script>alert(1)</script>", b"YAML mapping"),
        ("flow: '../../etc/passwd'\nversion: 1\nstart: h\nnodes:\n  h: {type: hangup}\n", b"flow name"),
    ],
)
def test_a_flow_with_problems_is_refused_and_nothing_changes(staff, db, runtime, tmp_path, text, problem):
    runtime.settings = runtime.settings.with_overrides(ivr_flows_dir=str(tmp_path))
    runtime.reload_flows()
    client = _admin(staff, db)
    resp = client.post("/admin/flows", data={"yaml": text})
    assert resp.status_code == 400 and problem in resp.data, resp.data[-800:]
    assert b"<script>alert(1)</script>" not in resp.data
    assert list(tmp_path.iterdir()) == [] and "small" not in runtime.flows.names()


def test_a_flow_file_can_be_uploaded(staff, db, runtime, tmp_path):
    import io

    runtime.settings = runtime.settings.with_overrides(ivr_flows_dir=str(tmp_path))
    runtime.reload_flows()
    client = _admin(staff, db)
    resp = client.post(
        "/admin/flows",
        data={"file": (io.BytesIO(SMALL_FLOW.encode()), "small.yaml")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303 and runtime.flows.get("small").version == 2


def test_an_empty_publish_is_refused(staff, db):
    client = _admin(staff, db)
    assert client.post("/admin/flows", data={"yaml": "  "}).status_code == 400


@pytest.mark.parametrize("username", ["sam", "alice"])
def test_only_admins_publish(staff, username, tmp_path, runtime):
    runtime.settings = runtime.settings.with_overrides(ivr_flows_dir=str(tmp_path))
    _login(staff, username)
    assert staff.post("/admin/flows", data={"yaml": SMALL_FLOW}).status_code == 403
    assert list(tmp_path.iterdir()) == []


# -- publishing on the embedded SQLite store (sessions that really commit) ----------------------


@pytest.fixture
def sqlite_runtime(settings, redis_client, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The embedded store (a SQLite file, committed for real) whatever TEST_DATABASE_URL says:
    its one-writer lock is what these tests are about. Waiting on it ends in 'database is locked',
    which the answers' status codes show."""
    from contactcenter.app.runtime import Runtime
    from contactcenter.db import make_engine, make_sessionmaker
    from contactcenter.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('embedded') / 'contactcenter.db'}"
    engine = make_engine(url)
    upgrade(engine)
    yield Runtime(
        settings=settings.with_overrides(database_url=url),
        engine=engine,
        session_factory=make_sessionmaker(engine),
        redis=redis_client,
    )
    engine.dispose()


def _sqlite_admin_client(rt, flows_dir):  # type: ignore[no-untyped-def]
    """The real app on the file-based SQLite store as a fresh web process has it (flows not yet
    loaded), an admin logged in, flows served from `flows_dir`."""
    from contactcenter.db import transaction
    from web import create_app

    with transaction(rt.session_factory) as session:
        for name in ("support", "billing"):
            gen_queue(session, name)
        gen_agent(session, "ada", role=Role.ADMIN)
    rt.settings = rt.settings.with_overrides(ivr_flows_dir=str(flows_dir))
    app = create_app(rt, testing=True, relay_events=False)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    _login(client, "ada")
    return client


@pytest.fixture
def sqlite_admin(sqlite_runtime, tmp_path):  # type: ignore[no-untyped-def]
    client = _sqlite_admin_client(sqlite_runtime, tmp_path)
    sqlite_runtime.reload_flows()
    return client


def test_flows_page_of_a_fresh_sqlite_process_opens_at_once(sqlite_runtime, tmp_path):
    (tmp_path / "small.yaml").write_text(SMALL_FLOW)
    client = _sqlite_admin_client(sqlite_runtime, tmp_path)
    page = client.get("/admin/flows")
    assert page.status_code == 200 and b'data-flow="small"' in page.data


def test_publishing_on_sqlite_does_not_wait_for_its_own_lock(sqlite_admin, sqlite_runtime, tmp_path):
    resp = sqlite_admin.post("/admin/flows", data={"yaml": SMALL_FLOW})
    assert resp.status_code == 303, resp.data[-800:]
    assert sqlite_runtime.flows.get("small").version == 2 and (tmp_path / "small.yaml").exists()


def test_publishing_on_sqlite_still_checks_queue_names(sqlite_admin, sqlite_runtime, tmp_path):
    resp = sqlite_admin.post("/admin/flows", data={"yaml": SMALL_FLOW.replace("queue: support", "queue: sales")})
    assert resp.status_code == 400 and b"sales" in resp.data
    assert list(tmp_path.iterdir()) == []
