"""The telephony port: the only package that speaks Twilio (TwiML, REST, webhook signatures).

Domain code hands it plain `Instruction`s and receives plain `CallEvent`s; the Twilio adapter and
the local carrier simulator sit behind the same `Telephony` interface.
"""
