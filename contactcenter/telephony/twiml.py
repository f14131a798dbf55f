"""Instructions → TwiML, built with the `twilio` library's `VoiceResponse` (never by hand)."""

from __future__ import annotations

from collections.abc import Sequence

from twilio.twiml.voice_response import Dial as TwDial, Gather as TwGather, VoiceResponse

from contactcenter.telephony.interfaces import (
    Conference,
    Dial,
    Enqueue,
    Gather,
    Hangup,
    Instruction,
    Pause,
    Play,
    Record,
    Redirect,
    Say,
)

MAX_QUEUE_NAME = 64  # Twilio's limit for <Enqueue> names


def _say(target: VoiceResponse | TwGather, item: Say) -> None:
    kwargs: dict[str, object] = {"language": item.language}
    if item.voice:
        kwargs["voice"] = item.voice
    if item.loop != 1:
        kwargs["loop"] = item.loop
    target.say(item.text, **kwargs)


def _prompt(target: VoiceResponse | TwGather, item: Say | Play | Pause) -> None:
    if isinstance(item, Say):
        # Nothing to say (a prompt whose placeholder came out empty): Twilio refuses an empty
        # <Say> (13520), so it is left out rather than failing the caller's call.
        if item.text.strip():
            _say(target, item)
    elif isinstance(item, Play):
        target.play(item.url, loop=item.loop if item.loop != 1 else None)
    else:
        target.pause(length=item.seconds)


def render(instructions: Sequence[Instruction]) -> str:
    response = VoiceResponse()
    for item in instructions:
        if isinstance(item, (Say, Play, Pause)):
            _prompt(response, item)
        elif isinstance(item, Gather):
            gather = TwGather(
                action=item.action,
                method="POST",
                timeout=item.timeout,
                finish_on_key=item.finish_on_key,
                input=item.input,
                language=item.language,
                num_digits=item.num_digits,
                hints=item.speech_hints,
                action_on_empty_result=item.action_on_empty_result,
            )
            for prompt in item.prompts:
                _prompt(gather, prompt)
            response.append(gather)
        elif isinstance(item, Redirect):
            response.redirect(item.url, method="POST")
        elif isinstance(item, Enqueue):
            if len(item.queue_name) > MAX_QUEUE_NAME:
                raise ValueError(f"queue name longer than {MAX_QUEUE_NAME} characters")
            response.enqueue(item.queue_name, wait_url=item.wait_url, action=item.action, method="POST")
        elif isinstance(item, Conference):
            dial = TwDial(action=item.action, method="POST" if item.action else None)
            dial.conference(
                item.name,
                wait_url=item.wait_url,
                wait_method="POST" if item.wait_url else None,
                start_conference_on_enter=item.start_on_enter,
                end_conference_on_exit=item.end_on_exit,
                muted=item.muted,
                beep=item.beep,
                status_callback=item.status_callback,
                status_callback_event="start end join leave" if item.status_callback else None,
            )
            response.append(dial)
        elif isinstance(item, Dial):
            response.dial(
                item.number,
                caller_id=item.caller_id,
                timeout=item.timeout,
                action=item.action,
                method="POST" if item.action else None,
            )
        elif isinstance(item, Record):
            response.record(
                action=item.action,
                method="POST",
                max_length=item.max_length,
                finish_on_key=item.finish_on_key,
                play_beep=item.play_beep,
                recording_status_callback=item.recording_status_callback,
            )
        elif isinstance(item, Hangup):
            response.hangup()
        else:  # pragma: no cover - the Instruction union is closed
            raise TypeError(f"cannot render {item!r}")
    return str(response)
