def test_healthz_reports_database_and_plugins(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["status"] == "ok"
    assert isinstance(data["plugins"], list)


def test_login_with_csrf(client, factory, login):
    user = factory.user()
    login(client, user)
    page = client.get(f"/u/{user.id}")
    assert page.status_code == 200
