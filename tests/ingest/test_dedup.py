from __future__ import annotations

import json

from hikeshi.ingest.dedup import ExactDeduplicator, content_form, content_key, strip_decorations

ORIGINAL = "サンプル食品の工場で働いてるけど、床に落ちた具材そのまま使ってるの見た"


def test_reposts_and_copies_share_the_content_key() -> None:
    copies = [
        f"RT @worker123: {ORIGINAL}",
        f"「引用」{ORIGINAL} https://t.example/abc",
        f"【悲報】{ORIGINAL}",
        f"{ORIGINAL}  \n  https://matome.example/archives/1.html",
        f"@friend @other {ORIGINAL}",
        f"＞＞１２ {ORIGINAL}",
        f"拡散希望！ {ORIGINAL}",
        ORIGINAL.replace("サンプル", "ｻﾝﾌﾟﾙ"),
    ]
    key = content_key(ORIGINAL)
    assert key is not None
    for copy in copies:
        assert content_key(copy) == key, copy
    assert content_key("サンプル食品の工場で働いてるけど、床に落ちた具材は捨ててる") != key


def test_content_key_is_none_for_empty_content() -> None:
    assert content_key("RT @a: https://t.example/x") is None
    assert strip_decorations("【速報】本文") == "本文"
    assert content_form("  ") == ""


def test_exact_dedup_by_source_id_and_by_content() -> None:
    dedup = ExactDeduplicator()
    assert not dedup.check("x", "1", ORIGINAL).duplicate
    again = dedup.check("x", "1", "edited text")
    assert (again.duplicate, again.reason, again.first) == (True, "same-source-id", ("x", "1"))
    copy = dedup.check("matome", "99", f"【悲報】{ORIGINAL}")
    assert (copy.duplicate, copy.reason, copy.first) == (True, "same-content", ("x", "1"))
    assert not dedup.check("x", "2", "全く別の投稿").duplicate


def test_dedup_state_round_trips_and_is_bounded() -> None:
    dedup = ExactDeduplicator(max_entries=3)
    for index in range(5):
        dedup.check("x", str(index), f"投稿その{index}です")
    restored = ExactDeduplicator.from_state(json.loads(json.dumps(dedup.to_state())))
    assert restored.check("x", "4", "").duplicate
    assert not restored.check("x", "0", "新しい").duplicate  # forgotten: oldest first


def test_content_form_and_normalized_agree_with_their_definitions() -> None:
    from hikeshi.ingest.dedup import content_form_and_normalized
    from hikeshi.ingest.normalize import normalize

    texts = [
        "ｻﾝﾌﾟﾙ食品のお弁当、最悪！！",
        "RT @someone: サンプル食品の話 https://example.com/x",
        ">>12 異物混入ってありえない",
        "#拡散希望 サンプル食品の件",
        "",
        "。。。",
    ]
    for text in texts:
        form, normalized = content_form_and_normalized(text)
        assert form == content_form(text)
        # given only when the text had nothing to strip, and then it is the text's normalised form
        assert normalized is None if strip_decorations(text) != text else normalized == normalize(text)
    assert content_form_and_normalized(texts[0])[1] is not None
    assert content_form_and_normalized(texts[1])[1] is None
