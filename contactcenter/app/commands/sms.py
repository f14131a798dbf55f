"""`contactcenter sms …`: the numbers that take texts.

contactcenter sms number add +18005550123 [--queue support] [--help-text "Acme: reply STOP to opt out"]
contactcenter sms number list [--json]
contactcenter sms number remove +18005550123

At the carrier, point the number's "A message comes in" webhook at <PUBLIC_BASE_URL>/hooks/sms
(HTTP POST); replies are sent with status callbacks to <PUBLIC_BASE_URL>/hooks/sms/status.
"""

from __future__ import annotations

import json

import click

from contactcenter.app.commands.outbound import _store, _Text


@click.group()
def sms() -> None:
    """Texts into tickets: the numbers customers text."""


@sms.group()
def number() -> None:
    """Our numbers that take texts."""


@number.command("add")
@click.argument("phone", type=_Text(32))
@click.option("--queue", default=None, type=_Text(64), help="new conversations go to this queue")
@click.option("--help-text", default="", type=_Text(320), help="what a customer who texts HELP gets back")
def number_add(phone: str, queue: str | None, help_text: str) -> None:
    from contactcenter.app import runtime
    from contactcenter.sms.numbers import SmsNumberError, add_number

    region = runtime.current().settings.default_region
    try:
        with _store() as session:
            added = add_number(session, phone, queue=queue, help_text=help_text, default_region=region)
            click.echo(f"{added.number} takes texts" + (f" (new conversations to queue {queue})" if queue else ""))
    except SmsNumberError as exc:
        raise click.BadParameter(str(exc)) from exc


@number.command("list")
@click.option("--json", "as_json", is_flag=True)
def number_list(as_json: bool) -> None:
    from contactcenter.sms.numbers import list_numbers

    with _store() as session:
        rows = [{"number": n.number, "queue": queue, "help_text": n.help_text} for n, queue in list_numbers(session)]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        click.echo(f"{row['number']:18} {row['queue'] or '-':16} {row['help_text'] or '(standard HELP answer)'}")
    if not rows:
        click.echo("no numbers take texts yet: contactcenter sms number add +18005550123 --queue support")


@number.command("remove")
@click.argument("phone", type=_Text(32))
def number_remove(phone: str) -> None:
    from contactcenter.app import runtime
    from contactcenter.sms.numbers import remove_number

    with _store() as session:
        if not remove_number(session, phone, runtime.current().settings.default_region):
            raise click.BadParameter(f"{phone} does not take texts")
    click.echo(f"{phone} no longer takes texts")
