"""The ``couriers:`` config: credential fields, secrets, fallback and settings,
every mistake with its path and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

from orderkit.config import CourierConfig, SecretRef, load_config, validate_config
from orderkit.errors import ConfigProblem


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "orderkit.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    found: list[ConfigProblem] = validate_config(path, known_couriers={"sf", "zto", "yto", "jd"})
    return [str(p) for p in found]


def test_a_full_courier_entry_loads(tmp_path: Path) -> None:
    path = tmp_path / "orderkit.yaml"
    path.write_text(
        textwrap.dedent(
            """
            version: 1
            couriers:
              - code: sf
                partner_id: OKPARTNER
                check_word: env:SF_CHECK_WORD
                account: env:SF_MONTHLY_CARD
                fallback: [jd]
                settings:
                  express_type_id: 2
                  sender: {name: 华东仓, phone: "13800000000", address: 仓前街道1号}
              - code: jd
                endpoint: sandbox
                app_key: okapp
                app_secret: sandbox:jd-secret
                access_token: sandbox:jd-token
                customer_code: 010K123456
            """
        ),
        encoding="utf-8",
    )
    config = load_config(path, known_couriers={"sf", "jd"})
    sf, jd = config.couriers
    assert isinstance(sf, CourierConfig) and sf.partner_id == "OKPARTNER"
    assert sf.check_word == SecretRef("env:SF_CHECK_WORD")
    assert sf.fallback == ["jd"] and sf.settings["express_type_id"] == 2
    assert jd.uses_builtin_sandbox and jd.access_token is not None
    assert jd.access_token.resolve() == "jd-token"
    assert jd.customer_code == "010K123456"


def test_courier_secrets_must_be_env_refs(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        couriers:
          - code: sf
            partner_id: OKPARTNER
            check_word: fjcg5PGKaNpPSHFAZ4QsCOkV71R3zVci
          - code: jd
            endpoint: https://api.jdl.com
            app_secret: sandbox:demo
        """,
    )
    assert found == [
        "couriers[0].check_word: must be an env: reference (line 5)",
        "couriers[1].app_secret: must be an env: reference (sandbox: values are accepted only "
        "when the endpoint is 'sandbox' or a local sandbox URL such as "
        "http://127.0.0.1:PORT) (line 8)",
    ]


def test_sandbox_secrets_on_a_local_sandbox_url_are_fine(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        couriers:
          - code: zto
            endpoint: http://127.0.0.1:8500
            app_key: sandbox-company
            app_secret: sandbox:sandbox-secret
        """,
    )
    assert found == []


def test_fallback_must_name_another_configured_courier(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        couriers:
          - code: sf
            fallback: [sf, yto, zto]
          - code: zto
        """,
    )
    assert found == [
        "couriers[0].fallback[0]: courier 'sf' cannot be its own fallback (line 4)",
        "couriers[0].fallback[1]: fallback 'yto' is not configured under couriers (zto) (line 4)",
    ]


def test_a_misspelt_credential_field_is_named_with_a_suggestion(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        version: 1
        couriers:
          - code: sf
            checkword: env:SF_CHECK_WORD
        """,
    )
    assert len(found) == 1 and "did you mean 'check_word'?" in found[0]
    assert found[0].startswith("couriers[0]") and found[0].endswith("(line 4)")
