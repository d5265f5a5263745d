"""Investigation in the console and the API: evidence, verdicts with charts, the forms."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.evidence.investigation import investigate, run_jobs, stage
from tests.web.test_console import csrf_of, log_in


def test_the_case_page_shows_verdict_chart_and_evidence_and_its_forms_work(
        client: TestClient, world: World, session: Session) -> None:
    _, ref = stage(world.settings, session, "delayed_fill", "U-lea")
    investigate(world.settings, session, world.staff["admin"], ref)
    log_in(client, "admin")
    url = f"/console/cases/{ref}"
    page = client.get(url)
    assert page.status_code == 200
    html = page.text
    assert "Platform fault" in html and "suggested by the replay analysis" in html
    chart = client.get(html.split('class="evidence-chart" src="', 1)[1].split('"', 1)[0])
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG")
    token = csrf_of(html)
    r = client.post(f"{url}/findings", data={"csrf": token, "fault": "platform",
                                             "verdict": "platform_fault", "summary": "No."})
    assert r.status_code == 422 and "at least one piece of evidence" in r.text
    r = client.post(f"{url}/findings", data={
        "csrf": token, "fault": "platform", "verdict": "platform_fault", "summary": "Late fill.",
        "loss_asset": "usdt", "loss_amount": "184.5", "evidence_ids": ["1", "2"]},
        follow_redirects=False)
    assert r.status_code == 303
    assert client.post(f"{url}/evidence", data={"csrf": token},
                       follow_redirects=False).status_code == 303
    assert client.post(f"{url}/analyses", data={"csrf": token, "analysis": "replay"},
                       follow_redirects=False).status_code == 303
    run_jobs(world.settings, session)
    html = client.get(url).text
    # the first analysis, the one the new capture queued, and the one asked for
    assert html.count("suggested by the replay analysis") == 3 and "Late fill." in html


def test_api_lists_evidence_and_findings_and_refuses_uncited_findings(
        client: TestClient, world: World, session: Session) -> None:
    _, ref = stage(world.settings, session, "deposit_wrong_network", "U-max")
    investigate(world.settings, session, world.staff["admin"], ref)
    staff = world.headers("specialist")
    base = f"/api/v1/cases/{ref}"
    evidence = client.get(f"{base}/evidence", headers=staff).json()
    assert {"deposits", "deposit_addresses", "currencies", "chain_tx"} <= {
        e["kind"] for e in evidence}
    (finding,) = client.get(f"{base}/findings", headers=staff).json()
    assert (finding["verdict"], finding["fault"]) == ("wrong_network", "customer")
    r = client.post(f"{base}/findings", headers=staff, json={
        "fault": "customer", "verdict": "wrong_network", "summary": "Sent on BSC."})
    assert r.status_code == 422
    r = client.post(f"{base}/findings", headers=staff, json={
        "fault": "customer", "verdict": "wrong_network", "summary": "Sent on BSC.",
        "loss_asset": "USDT", "loss_amount": "500", "evidence_ids": [evidence[0]["id"]]})
    assert r.status_code == 201 and r.json()["evidence_ids"] == [evidence[0]["id"]]
    assert client.post(f"{base}/evidence", headers=staff).status_code == 202
    customer = {"Authorization": f"Bearer {world.customer_token('carol')}"}
    assert client.get(f"{base}/evidence", headers=customer).status_code == 404
