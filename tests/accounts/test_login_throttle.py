"""Failed sign-ins are throttled per (account, IP) pair and per IP, so wrong passwords from one
address slow that address down but cannot lock the owner out (issue 9, point 1)."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ATTACKER, OWNER, OTHER_ATTACKER = "203.0.113.7", "198.51.100.20", "192.0.2.99"
TOO_MANY = "Too many failed login attempts"


def _login(client, email: str, password: str, ip: str):
    client.logout()
    return client.post("/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=ip)


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out(client):
    # given an attacker who sends five wrong passwords for the owner's account
    owner = UserFactory()
    for _ in range(5):
        response = _login(client, owner.email, "wrong-password", ATTACKER)
        assert response.status_code == 200
        assert TOO_MANY not in response.content.decode()

    # then the attacker's address is refused, even with the right password
    response = _login(client, owner.email, "wrong-password", ATTACKER)
    assert TOO_MANY in response.content.decode()
    response = _login(client, owner.email, PASSWORD, ATTACKER)
    assert TOO_MANY in response.content.decode()
    assert "_auth_user_id" not in client.session

    # and the owner, from their own address, still signs in
    response = _login(client, owner.email, PASSWORD, OWNER)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_one_address_trying_many_accounts_is_slowed_down(client):
    people = UserFactory.create_batch(11)
    refused = [
        TOO_MANY in _login(client, p.email, "wrong-password", ATTACKER).content.decode()
        for p in people
    ]
    # ten failures a minute per address, whichever accounts they are for
    assert refused == [False] * 10 + [True]
    # another address is not affected
    response = _login(client, people[0].email, "wrong-password", OTHER_ATTACKER)
    assert TOO_MANY not in response.content.decode()
