"""motcua-v1 frames from tables: good, garbage, partial, bad checksum, wrong address, floods."""

from __future__ import annotations

import random

import pytest

from hardware.keypad import InputLine, Keypad, KeyPress
from hardware.protocol import (
    Frame,
    Key,
    KeyEvent,
    MotcuaV1,
    Reject,
    checksum,
    clean_text,
    decode_display,
    decode_key,
    display_protocol,
    encode_ack,
    encode_blank,
    encode_frame,
    encode_key,
    encode_show,
    keypad_protocol,
    parse_frames,
)
from hardware.rating import RatingPad
from hardware.serial_link import LineSettings, SerialLink

NEXT17 = b"@03:NEXT#17*1B\r\n"  # captured from the simulator keypad
NEXT2 = encode_key(3, "NEXT", seq=2)
R = Reject

# (name, bytes read, frames, rest, rejects)
FRAMES = [
    ("next with press number", NEXT17, [Frame(3, "NEXT", 17)], b"", []),
    ("no press number", b"@01:DONE*" + b"%02X" % checksum(b"01:DONE") + b"\r\n",
     [Frame(1, "DONE")], b"", []),
    ("bare LF and lower-case checksum", b"@03:NEXT#17*1b\n", [Frame(3, "NEXT", 17)], b"", []),
    ("two frames in one read", NEXT17 + encode_key(4, "XFER", "HT", 2),
     [Frame(3, "NEXT", 17), Frame(4, "XFER:HT", 2)], b"", []),
    ("line idle bytes are not noise", b"\r\n\x00  " + NEXT17 + b"\r\n", [Frame(3, "NEXT", 17)],
     b"", []),
    ("noise before", b"\xff\xfe\x13garbage" + NEXT17, [Frame(3, "NEXT", 17)], b"", [R.NOISE]),
    ("noise after, no frame yet", NEXT17 + b"zz", [Frame(3, "NEXT", 17)], b"", [R.NOISE]),
    ("partial frame kept", NEXT17 + b"@03:NE", [Frame(3, "NEXT", 17)], b"@03:NE", []),
    ("frame cut by a new one", b"@03:NE" + NEXT17, [Frame(3, "NEXT", 17)], b"", [R.MALFORMED]),
    ("bad checksum", b"@03:NEXT#17*1C\r\n", [], b"", [R.BAD_CHECKSUM]),
    ("flipped bit in the body", b"@03:NEXU#17*1B\r\n", [], b"", [R.BAD_CHECKSUM]),
    ("address 00", encode_frame(1, "NEXT").replace(b"@01:NEXT*", b"@00:NEXT*")
     .replace(b"*" + b"%02X" % checksum(b"01:NEXT"), b"*" + b"%02X" % checksum(b"00:NEXT")),
     [], b"", [R.BAD_ADDRESS]),
    ("address 33", b"@33:NEXT*" + b"%02X" % checksum(b"33:NEXT") + b"\r\n", [], b"",
     [R.BAD_ADDRESS]),
    ("lower-case body", b"@03:next*" + b"%02X" % checksum(b"03:next") + b"\r\n", [], b"",
     [R.MALFORMED]),
    ("non-ASCII body", "@03:NỄXT*00\r\n".encode(), [], b"", [R.MALFORMED]),
    ("no checksum", b"@03:NEXT\r\n", [], b"", [R.MALFORMED]),
    ("press number too big", b"@03:NEXT#99999*" + b"%02X" % checksum(b"03:NEXT#99999") + b"\r\n",
     [], b"", [R.MALFORMED]),
    ("too long, no end", b"@03:" + b"N" * 80, [], b"", [R.TOO_LONG]),
    ("too long, with end", b"@03:" + b"N" * 80 + b"*00\r\n" + NEXT17, [Frame(3, "NEXT", 17)], b"",
     [R.TOO_LONG]),
    ("only noise", b"\x00\x01\x02 line noise \xff", [], b"", [R.NOISE]),
    ("nothing", b"", [], b"", []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "data", "frames", "rest", "rejects"), FRAMES, ids=[f[0] for f in FRAMES]
)
def test_parse_frames_table(name, data, frames, rest, rejects):
    parsed = parse_frames(data)
    assert list(parsed.frames) == frames
    assert parsed.rest == rest
    assert list(parsed.rejects) == rejects
    assert parsed.garbage == len(rejects)


def test_frames_split_anywhere_come_out_the_same():
    stream = b"\xffxx" + NEXT17 + encode_key(4, "RATE", "5", 9) + b"@03:NE" + encode_show(3, "A012")
    for step in (1, 2, 3, 7):
        frames, rest = [], b""
        for i in range(0, len(stream), step):
            parsed = parse_frames(rest + stream[i : i + step])
            frames += parsed.frames
            rest = parsed.rest
        assert frames == [Frame(3, "NEXT", 17), Frame(4, "RATE:5", 9), Frame(3, "SHOW:A012")]
        assert rest == b""


def test_random_garbage_never_raises_and_never_hides_a_good_frame():
    rng = random.Random(6)
    for _ in range(300):
        noise = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 90)))
        seq = rng.randrange(65536)
        good = encode_key(rng.randrange(1, 33), rng.choice(list(Key)[:7]), None, seq)
        if b"XFER" in good:
            good = encode_key(5, "XFER", "HT", seq)
        parsed = parse_frames(noise + b"\n" + good + noise)
        assert good in [encode_frame(f.address, f.body, f.seq) for f in parsed.frames]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("NEXT", (Key.NEXT, None)),
        ("RECALL", (Key.RECALL, None)),
        ("NOSHOW", (Key.NOSHOW, None)),
        ("DONE", (Key.DONE, None)),
        ("PAUSE", (Key.PAUSE, None)),
        ("RESUME", (Key.RESUME, None)),
        ("XFER:HT", (Key.XFER, "HT")),
        ("START", (Key.START, None)),
        ("CALL:12", (Key.CALL, "12")),
        ("CALL:A012", (Key.CALL, "A012")),
        ("CALL:", None),
        ("CALL:12A", None),
        ("CALL:A-1", None),
        ("START:1", None),
        ("RATE:1", (Key.RATE, "1")),
        ("RATE:5", (Key.RATE, "5")),
        ("XFER", None),
        ("XFER:", None),
        ("RATE:6", None),
        ("RATE:0", None),
        ("NEXT:1", None),
        ("SHOW:A012", None),
        ("FOO", None),
    ],
)
def test_decode_key(body, expected):
    event = decode_key(Frame(7, body, 4))
    assert (event.key, event.arg) == expected if expected else event is None
    if event:
        assert (event.address, event.seq) == (7, 4)


def test_encodings_round_trip():
    assert encode_key(3, "NEXT", seq=17) == NEXT17
    assert (
        encode_key(3, Key.XFER, "HT")
        == b"@03:XFER:HT*" + b"%02X" % checksum(b"03:XFER:HT") + b"\r\n"
    )
    assert parse_frames(encode_ack(3, 17)).frames == (Frame(3, "ACK", 17),)
    assert decode_display(parse_frames(encode_show(12, "A012")).frames[0]) == "A012"
    assert decode_display(parse_frames(encode_show(12, "--")).frames[0]) == "--"
    assert decode_display(parse_frames(encode_blank(12)).frames[0]) == ""
    assert encode_show(12, "") == encode_blank(12)
    assert decode_display(Frame(1, "SHOW:A0123456")) is Reject.UNKNOWN_COMMAND
    assert decode_display(Frame(1, "NEXT")) is Reject.UNKNOWN_COMMAND
    assert decode_display(Frame(1, "ACK", 3)) is None
    for bad in (lambda: encode_frame(0, "NEXT"), lambda: encode_frame(33, "NEXT"),
                lambda: encode_frame(1, "NEXT", 65536)):  # fmt: skip
        with pytest.raises(ValueError):
            bad()


@pytest.mark.parametrize(
    ("text", "shown"),
    [("A012", "A012"), ("1001", "1001"), ("A00001", "A00001"), ("ABC00012", "C00012"),
     ("a-1", "A-1"), ("--", "--"), ("", ""), ("Số 7", "S7")],
)  # fmt: skip
def test_clean_text_fits_the_board(text, shown):
    assert clean_text(text) == shown


def test_protocol_registry():
    assert keypad_protocol().name == display_protocol().name == "motcua-v1"
    with pytest.raises(KeyError, match="motcua-v1"):
        keypad_protocol("vendor-x")
    parsed = MotcuaV1().parse(NEXT17 + encode_frame(3, "HELLO") + b"@03:NEX")
    assert parsed.events == (KeyEvent(3, Key.NEXT, None, 17),)
    assert parsed.rejects == (Reject.UNKNOWN_COMMAND,)
    assert parsed.rest == b"@03:NEX"


# ----- the keypad's filters, driven with a fake clock


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def keypad_line(clock: FakeClock):
    link = SerialLink(LineSettings("loop://"))  # never opened: ACK writes are just counted
    line = InputLine(link, MotcuaV1(), clock)
    presses: list[KeyPress] = []
    keypad = Keypad(line, 3, bounce=0.3)
    keypad.on_key(presses.append)
    return line, keypad, presses


# (what happens, [(seconds later, bytes)], accepted keys, keypad counts, line counts)
FLOODS = [
    ("one press", [(0, NEXT17)], ["NEXT"], {"presses": 1}, {"frames": 1}),
    ("repeated frame (same press number)", [(0, NEXT17), (0.5, NEXT17)], ["NEXT"],
     {"presses": 1, "repeats": 1}, {"frames": 2}),
    ("bounce: same key within 300 ms", [(0, encode_key(3, "RECALL", seq=1)),
     (0.1, encode_key(3, "RECALL", seq=2))], ["RECALL"], {"presses": 1, "bounces": 1}, {}),
    ("same key after 300 ms quiet", [(0, encode_key(3, "RECALL", seq=1)),
     (0.4, encode_key(3, "RECALL", seq=2))], ["RECALL", "RECALL"], {"presses": 2}, {}),
    ("a stuck key stays a bounce", [(0.1 * i, encode_key(3, "RECALL", seq=i)) for i in range(20)],
     ["RECALL"], {"presses": 1, "bounces": 19}, {}),
    ("NEXT while the last NEXT is unanswered", [(0, encode_key(3, "NEXT", seq=1)),
     (1.0, encode_key(3, "NEXT", seq=2))], ["NEXT"], {"presses": 1, "next_in_flight": 1}, {}),
    ("other keys still go while NEXT is in flight", [(0, encode_key(3, "NEXT", seq=1)),
     (0.05, encode_key(3, "DONE", seq=2))], ["NEXT", "DONE"], {"presses": 2}, {}),
    ("flood of 50 NEXT in 100 ms", [(0.002 * i, encode_key(3, "NEXT", seq=i)) for i in range(50)],
     ["NEXT"], {"presses": 1, "bounces": 49}, {"frames": 50}),
    ("wrong address", [(0, encode_key(9, "NEXT", seq=1))], [], {"presses": 0},
     {"wrong_address": 1, "frames": 1}),
    ("garbage, partial and bad checksum around a press", [(0, b"\x00\xffjunk@03:NE"),
     (0.01, b"XT#1*00\r\n" + NEXT2[:7]), (0.02, NEXT2[7:]), (0.03, NEXT2[:9])],
     ["NEXT"], {"presses": 1}, {"garbage": 1, "bad_checksum": 1, "frames": 1}),
    ("unknown command", [(0, encode_frame(3, "HELLO", 1))], [], {"presses": 0},
     {"unknown_key": 1}),
]  # fmt: skip


@pytest.mark.parametrize(("what", "reads", "accepted", "pad", "line"), FLOODS,
                         ids=[f[0] for f in FLOODS])  # fmt: skip
def test_keypad_filters(what, reads, accepted, pad, line):
    clock = FakeClock()
    input_line, keypad, presses = keypad_line(clock)
    start = clock.now
    for later, data in reads:
        clock.now = start + later
        input_line.feed(data)
    assert [p.key.value for p in presses] == accepted
    for name, value in pad.items():
        assert keypad.counts[name] == value, name
    for name, value in line.items():
        assert input_line.counts[name] == value, name


def test_settled_next_lets_the_next_one_through():
    clock = FakeClock()
    line, keypad, presses = keypad_line(clock)
    line.feed(encode_key(3, "NEXT", seq=1))
    clock.now += 1
    line.feed(encode_key(3, "NEXT", seq=2))
    keypad.settle(presses[0])
    clock.now += 1
    line.feed(encode_key(3, "NEXT", seq=3))
    assert [p.seq for p in presses] == [1, 3]
    assert keypad.counts["next_in_flight"] == 1
    assert line.link.counts["write_errors"] == 3  # one ACK per frame, the line is not open


def test_rating_pad_table():
    clock = FakeClock()
    link = SerialLink(LineSettings("loop://"))
    line = InputLine(link, MotcuaV1(), clock)
    ratings = []
    pad = RatingPad(line, 21, buttons=3)
    pad.on_rating(ratings.append)
    presses = [(0, "RATE", "3", 1), (0.1, "RATE", "3", 1), (0.2, "RATE", "3", 2),
               (1, "RATE", "1", 3), (2, "RATE", "5", 4), (3, "NEXT", None, 5)]  # fmt: skip
    for later, key, arg, seq in presses:
        data = encode_key(21, key, arg, seq)
        clock.now = 100 + later
        line.feed(data)
    assert [r.score for r in ratings] == [3, 1]
    assert pad.counts == {"ratings": 2, "repeats": 1, "bounces": 1, "rejected": 2,
                          "score_1": 1, "score_2": 0, "score_3": 1}  # fmt: skip
