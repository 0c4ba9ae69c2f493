"""Near-identical sentences (minimal pairs) land in one cross-validation group wherever they sit."""

from __future__ import annotations

from hikeshi.analysis.training.groups import similar_text_groups


def test_minimal_pairs_are_grouped_even_when_they_start_on_odd_rows() -> None:
    texts = [
        "駅で財布を拾ったので交番に届けた",  # a single sentence first: the pairs below start on odd rows
        "赤信号だったのでブレーキを踏んだ",
        "赤信号だったのでアクセルを踏んだ",
        "友達の誕生日にケーキを焼いてあげた",
        "友達の誕生日にケーキを焼いて一人で全部食べた",
        "図書館の本にこっそり落書きをした",
    ]
    groups = similar_text_groups(texts)
    assert groups[1] == groups[2]
    assert groups[3] == groups[4]
    assert len({groups[0], groups[1], groups[3], groups[5]}) == 4
    assert groups[0] != groups[1] and groups[2] != groups[3]


def test_a_twin_far_away_in_the_file_is_found_and_empty_input_is_fine() -> None:
    twin = "会社の備品のボールペンを家に持ち帰った"
    texts = [
        twin,
        "今日は天気が良いので散歩した",
        "夕飯にカレーを作った",
        "会社の備品のボールペンを家に持ち帰らなかった",
    ]
    groups = similar_text_groups(texts)
    assert groups[0] == groups[3]
    assert groups[1] != groups[2]
    assert similar_text_groups([]).size == 0
