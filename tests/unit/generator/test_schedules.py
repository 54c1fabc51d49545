from __future__ import annotations

import pytest

from template_gen.registry.schedules import check_schedule


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(7 days)",
        "cron(0 2 * * ? *)", "cron(*/15 * * * ? *)", "cron(0 8 ? * MON-FRI *)", "cron(15 10 L * ? 2026)",
        "cron(0 8 ? * 6#3 *)", "cron(0 2 ? JAN,FEB MON *)", "cron(0 0 1W * ? *)", "cron(0 18 ? * L *)",
    ],
)  # fmt: skip
def test_valid_schedules_pass(expression: str) -> None:
    assert check_schedule(expression) is None


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("every day", "'every day' is not a schedule: use rate(5 minutes) or cron(0 2 * * ? *)"),
        ("rate(5 minute)", "'rate(5 minute)': use 'minutes' with 5 (rate(5 minutes))"),
        ("rate(1 hours)", "'rate(1 hours)': use 'hour' with 1 (rate(1 hour))"),
        ("rate(0 days)", "'rate(0 days)': the rate must be at least 1"),
        ("rate(2 weeks)", "'rate(2 weeks)': the unit must be minute(s), hour(s) or day(s)"),
        (
            "rate(five minutes)",
            "'rate(five minutes)' does not parse: write rate(<number> <unit>), e.g. rate(5 minutes)",
        ),
        (
            "cron(0 2 * * *)",
            "'cron(0 2 * * *)' has 5 fields; EventBridge cron expressions have 6: minutes hours day-of-month month day-of-week year",
        ),
        ("cron(0 25 * * ? *)", "'cron(0 25 * * ? *)': hours: 25 is outside 0..23"),
        ("cron(0 2 * * * *)", "'cron(0 2 * * * *)': exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 2 ? * ? *)", "'cron(0 2 ? * ? *)': exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 2 * ? * *)", "'cron(0 2 * ? * *)': month: '?' is only allowed in day-of-month and day-of-week"),
        (
            "cron(0 2 ? * FUNDAY *)",
            "'cron(0 2 ? * FUNDAY *)': day-of-week: 'FUNDAY' is not a number or one of SUN, MON, TUE, WED, THU, FRI, SAT",
        ),
        ("cron(0/x 2 ? * MON *)", "'cron(0/x 2 ? * MON *)': minutes: '/x' is not a valid step"),
        ("cron(0 8 ? * 6#7 *)", "'cron(0 8 ? * 6#7 *)': day-of-week: '#7': the nth weekday must be 1..5"),
        ("cron(0 2 1-  * ? *)", "'cron(0 2 1-  * ? *)': day-of-month: '1-' is not a valid range"),
        ("cron(0 2 * * ? 2300)", "'cron(0 2 * * ? 2300)': year: 2300 is outside 1970..2199"),
    ],
)
def test_invalid_schedules_say_what_is_wrong(expression: str, message: str) -> None:
    assert check_schedule(expression) == message
