"""What a member reads on the account and privacy pages is in their language: field errors
the services give in English, consent purposes and legal bases, not internal codes."""

from __future__ import annotations

from html import unescape

from tests.factories import PASSWORD, csrf, make_member, make_user


def test_field_errors_are_translated_and_what_was_typed_stays_escaped(session, as_user) -> None:
    client = as_user(make_user(session, "nour@example.org"))
    token = csrf(client, "/account?lang=ar")
    r = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "1234567890",
            "password_again": "1234567890",
            "csrf_token": token,
        },
    )
    assert r.status_code == 422
    assert "من أكثر كلمات المرور شيوعًا" in r.text and "most common passwords" not in r.text
    wrong = client.post(
        "/account/password",
        data={
            "current_password": "not it at all",
            "password": "a fine new passphrase",
            "password_again": "a fine new passphrase",
            "csrf_token": token,
        },
    )
    assert "هذه ليست كلمة مرورك الحالية" in unescape(wrong.text)
    named = client.post(
        "/account/tokens", data={"name": "<b>x</b>" * 30, "days": "30", "csrf_token": token}
    )
    assert "أعطِ الرمز اسمًا من 1 إلى 100 حرف" in named.text
    assert "<b>x</b>" not in named.text  # the kept value is escaped
    english = client.post(
        "/account/tokens?lang=en", data={"name": "", "days": "0", "csrf_token": token}
    )
    assert "give the token a name of 1 to 100 characters" in english.text


def test_consent_purposes_are_words_not_codes(session, as_user) -> None:
    user, _ = make_member(session, "ama@example.org", consents={"mapping": True})
    client = as_user(user)
    english = unescape(client.get("/me?lang=en").text)
    assert "Sharing: give my name and contact details to an institution" in english
    assert "share with institution" not in english
    arabic = unescape(client.get("/me?lang=ar").text)
    assert "الحصر: تسجيل إجاباتي" in arabic and "> mapping<" not in arabic


def test_saving_consents_says_so_where_the_page_opens(session, as_user) -> None:
    user, _ = make_member(session, "kofi@example.org", consents={"mapping": True})
    client = as_user(user)
    token = csrf(client, "/me")
    r = client.post("/me/consents", data={"purpose": ["mapping"], "csrf_token": token})
    assert r.url.fragment == "consents"
    section = r.text[r.text.index('id="consents"') :]
    assert "Your consents are saved." in section[: section.index("</section>")]


def test_messages_with_numbers_are_translated_with_their_numbers(session, as_user) -> None:
    client = as_user(make_user(session, "root@example.org", role="admin"))
    token = csrf(client, "/admin/retention?lang=ar")
    form = {"inactive_members": "2", "drafts": "-5", "sent_mail": "90", "sessions": ""}
    r = client.post("/admin/retention", data={**form, "csrf_token": token})
    assert r.status_code == 422
    text = unescape(r.text)
    assert "المطلوب ما بين 180 و36500 يوم" in text  # inactive_members: below its minimum
    assert "المطلوب عدد صحيح من الأيام بين 7 و36500" in text  # drafts: not a whole number
    assert "مطلوب: عدد من الأيام" in text and "expected" not in text
    assert 'value="-5"' in r.text  # what was typed is kept


def test_erasing_my_data_says_it_was_done(session, as_user) -> None:
    user, _ = make_member(session, "efua@example.org", consents={"mapping": True})
    client = as_user(user)
    token = csrf(client, "/me/erase?lang=ar")
    wrong = client.post("/me/erase", data={"confirm": "yes", "csrf_token": token})
    assert "اكتب ERASE للتأكيد" in wrong.text
    r = client.post("/me/erase", data={"confirm": "ERASE", "csrf_token": token})
    assert r.url.path == "/" and "مُحيت بياناتك وأُغلق حسابك" in r.text


def test_the_users_list_shows_roles_and_institutions_by_name(session, as_user, world) -> None:
    client = as_user(world.ada)
    token = csrf(client, "/admin/users?lang=ar")
    r = client.post(
        "/admin/users",
        data={"email": "new.staff@example.org", "role": "staff", "csrf_token": token},
    )
    assert r.url.params.get("created") == "1" and "أُنشئ المستخدم." in r.text
    assert "موظفو البرنامج" in r.text and "<td>staff</td>" not in r.text
    carol_row = r.text[r.text.index("carol@example.org") :].split("</tr>")[0]
    assert "<td>Ministry of Health</td>" in carol_row


def test_the_outbox_names_kinds_and_states_in_words(session, as_user, world) -> None:
    anon = as_user(None)
    anon.post(
        "/forgot-password",
        data={"email": "alice@example.org", "csrf_token": csrf(anon, "/forgot-password")},
    )
    page = as_user(world.sam).get("/staff/outbox?lang=ar").text
    assert '<span data-kind="password_reset">إعادة تعيين كلمة المرور</span>' in page
    assert '<pre class="message" dir="auto">' in page


def test_the_privacy_notice_keeps_admin_text_in_its_own_direction(as_user, world) -> None:
    from tests.web.test_privacy_pages import publish

    ada = as_user(world.ada)
    r = publish(ada, world.programme.id)
    assert r.status_code == 303
    notice = ada.get(r.headers["location"] + "&lang=ar").text
    assert '<p class="prewrap" dir="auto">' in notice and "، نُشرت في \u2066" in notice


def test_the_welcome_is_one_sentence_with_the_name_escaped(session, as_user) -> None:
    user = make_user(session, "layla@example.org")
    user.display_name = "Layla <b>"
    session.add(user)
    session.commit()
    page = as_user(user).get("/?lang=ar").text
    assert "<h1>مرحبًا، Layla &lt;b&gt;</h1>" in page


def test_my_profile_names_sector_and_contributions_in_my_language(session, as_user) -> None:
    user, _ = make_member(
        session,
        "yaw@example.org",
        consents={"mapping": True},
        sector="health",
        contributions=["knowledge_transfer", "mentoring"],
    )
    page = unescape(as_user(user).get("/me?lang=fr").text)
    assert "Transfert de connaissances" in page
    assert "knowledge_transfer" not in page
