"""Every category of the taxonomy is found, with evidence that points at the words that carry it."""

from __future__ import annotations

import pytest

from hikeshi.analysis import CATEGORY_CODES, CATEGORY_LABELS_JA, LEVELS, Analyzer
from hikeshi.analysis.taxonomy import CATEGORY_ADVICE_JA, level_for

# (category, post, words the evidence must include)
RISKY = [
    ("confidential_leak", "来週発表の新型、社内でもう見たけど価格は…", {"新型", "もう見た"}),
    ("confidential_leak", "社外秘の資料、写真撮っちゃった", {"社外秘"}),
    ("confidential_leak", "サーバーのパスワードは abc12345 です", {"パスワードは abc12345"}),
    ("customer_privacy", "さっきの会計、俳優の○○さんだった", {"俳優", "会計"}),
    ("customer_privacy", "今日来た患者さんのカルテ見たら有名人だった", {"患者", "カルテ"}),
    ("illegal_act", "飲んだ後そのまま運転して帰った", {"飲んだ後", "運転して"}),
    ("illegal_act", "高校生だけど居酒屋でビール飲んだｗ", {"高校生", "ビール"}),
    ("illegal_act", "コンビニで万引きしたけどバレなかった", {"万引き"}),
    ("misconduct_workplace", "売り物のアイスなめてから戻したｗ", {"アイス", "なめて"}),
    ("misconduct_workplace", "バイト中に店の冷蔵庫に入ってみた", {"冷蔵庫", "入ってみた"}),
    ("discrimination", "○○出身の人は雇わない方がいい", {"出身の人", "雇わない方がいい"}),
    ("harassment_abuse", "あの客ほんと消えてほしい", {"消えてほしい"}),
    ("workplace_complaint", "うちの店長、毎日怒鳴ってばっか", {"うちの店長", "怒鳴"}),
    ("complaint_quality", "買ったばかりのイヤホン、片方もう聞こえない", {"イヤホン", "聞こえない"}),
    ("safety_incident", "弁当にビニール片が入ってた", {"弁当", "ビニール片", "入ってた"}),
    ("safety_incident", "ここのカキ食べたら腹痛と下痢がひどい", {"食べたら", "腹痛"}),
    ("inappropriate_expression", "震災ネタで一本描いてみた", {"震災", "ネタ"}),
    ("inappropriate_expression", "女は家事だけしてればいい", {"女は家事"}),
    ("political_religious", "自民党は絶対に支持しない、退陣すべき", {"自民党"}),
    ("political_religious", "みんなもこの宗教に入信すべき、救われるよ", {"宗教"}),
    ("misinformation", "○○社の工場で事故があったらしい、拡散希望", {"事故", "らしい"}),
    # sub-kinds added by the coverage pass (lexicon 2026.11.3)
    ("illegal_act", "隣のクラスの子のスカートの中、階段で撮れたｗ", {"スカートの中", "撮れた"}),
    ("illegal_act", "副業の売上、現金でもらってるから申告してない", {"申告してない"}),
    ("illegal_act", "給付金、売上盛って申請したら通った", {"給付金"}),
    ("illegal_act", "野良猫に石投げて追い払ったｗ", {"猫", "石投げ"}),
    ("illegal_act", "立入禁止の屋上にフェンス乗り越えて入った", {"乗り越え"}),
    ("illegal_act", "改札を前の人にくっついてすり抜けて、タダで帰ってきた", {"タダで帰ってき"}),
    ("confidential_leak", "社内コードネーム「ツバメ」の新機種、秋に発売予定", {"コードネーム"}),
    ("workplace_complaint", "有給申請、毎回却下される。この会社おかしい", {"却下される"}),
    ("inappropriate_expression", "うつ病なんて甘えでしょ、気合いで治せ", {"うつ病", "甘え"}),
    ("discrimination", "ゲイの同僚とか気持ち悪い、同じ部署は無理", {"気持ち悪い"}),
    ("complaint_quality", "この動画配信サービス、解約ボタンがどこにもない", {"解約ボタン"}),
    ("misinformation", "人工地震って政府が隠してるだけ", {"人工地震"}),
    ("safety_incident", "コンビニのおにぎり、具が糸引いてて酸っぱい匂いした", {"おにぎり", "糸引いて"}),
    ("misconduct_workplace", "厨房でタバコ吸いながら揚げ物してるｗ", {"タバコ吸いながら"}),
    ("customer_privacy", "うちのホテルに人気バンドのボーカル泊まってる", {"泊まってる"}),
    # registers added by the second coverage pass (lexicon 2026.11.4): slang, implied acts, dialect, hints
    ("illegal_act", "飲み会のあと記憶ないけど、朝起きたら車で家の前に停めてあった", {"記憶ない", "車で家"}),
    ("illegal_act", "ドラストでリップ2本、レジ通してへんけど普通に出れたｗ", {"レジ通してへん"}),
    ("illegal_act", "駐車場の柱にこすったけど、そのまま逃げてきた", {"こすった", "そのまま逃げ"}),
    ("illegal_act", "古いタイヤ4本、山奥に捨ててきたったｗ", {"山奥", "捨ててきたった"}),
    (
        "confidential_leak",
        "詳しくは言えんけど、春の新商品えぐいで。うちの部署で作っとる",
        {"言えんけど", "新商品"},
    ),
    ("confidential_leak", "中の人だけど、来週の発売日は延期で確定してる", {"中の人"}),
    ("confidential_leak", "株買っとけ、うちの会社の決算めっちゃええから", {"株買っとけ"}),
    (
        "workplace_complaint",
        "バ先のてんちょ、休憩なしで8時間働かせてくる。マジ無理",
        {"てんちょ", "マジ無理"},
    ),
    ("workplace_complaint", "課長の鬼詰め、今日も2時間。もう限界", {"鬼詰め"}),
    ("complaint_quality", "通販で買ったイス、1週間でガタガタ。金返せ", {"ガタガタ"}),
    ("complaint_quality", "このドライヤー、3日で壊れるとかさすがやな（皮肉）二度と買わん", {"日で壊れ"}),
    (
        "misinformation",
        "ばあちゃんが言うとったけど、毎朝お酢を飲めば癌が消えるらしい。病院いらんで",
        {"癌が消え"},
    ),
    (
        "misinformation",
        "【裏技】スマホのバッテリー、冷凍庫に入れると復活するよ。やってみて",
        {"冷凍庫に入れ"},
    ),
    ("misconduct_workplace", "タイムカード、休んだ先輩の分も押しといたｗ", {"分も押し"}),
    ("safety_incident", "焼肉屋のレバー食べてから一晩中ゲーゲー", {"ゲーゲー"}),
    # the third coverage pass: each industry's own words (lexicon 2026.11.5)
    (
        "confidential_leak",
        "中間テストの問題、実施前やけど部活の後輩にこっそり見せた",
        {"中間テストの問題", "実施前"},
    ),
    (
        "confidential_leak",
        "来月からうちの銀行、ATM手数料上がるらしい。まだお客さんには内緒ね",
        {"手数料上が"},
    ),
    (
        "customer_privacy",
        "デイに来てる○○さん、息子さんが離婚して今生活保護らしい",
        {"デイに来て", "離婚して"},
    ),
    ("customer_privacy", "内見に来たカップル、年収聞いたら二人で300万やったｗ", {"内見に来た", "年収"}),
    (
        "misconduct_workplace",
        "検査データ、規格外やったけど数値いじって合格にした",
        {"数値いじ", "検査データ"},
    ),
    ("misconduct_workplace", "不在票だけ入れて帰ってきた。階段上がるのめんどいし", {"不在票だけ"}),
    ("harassment_abuse", "言うこと聞かんじいさん、怒鳴ったらおとなしくなったわ", {"じいさん", "怒鳴ったら"}),
    ("illegal_act", "集金したお金、ちょっとだけ使い込んでる。給料日に戻す", {"使い込", "集金したお金"}),
    (
        "illegal_act",
        "前の会社のサーバー、パスワードそのままやったからログインして資料見た",
        {"パスワードそのまま"},
    ),
    ("illegal_act", "余った睡眠薬、フリマで売ったら結構いい値段ついた", {"売った", "睡眠薬"}),
    (
        "inappropriate_expression",
        "今日のお客様、お腹ブヨブヨで施術中に笑いそうになった",
        {"お客様", "ブヨブヨ"},
    ),
    (
        "safety_incident",
        "配薬ミスで違う人の薬飲ませてもうた。誰も気づいてないし黙っとこ",
        {"配薬ミス", "黙っとこ"},
    ),
    ("safety_incident", "遠足で児童一人バスに残したまま出発しかけた", {"バスに残し", "児童"}),
    ("workplace_complaint", "運行管理者、荷待ちの時間は休憩扱いで給料ゼロ。ありえん", {"給料ゼロ"}),
    # Pass 6 (lexicon 2026.11.9): shapes the batch e rows worded without the earlier rules' words.
    ("illegal_act", "拾った財布、中の現金だけ抜いて捨てといた", {"拾った財布", "抜いて"}),
    (
        "misconduct_workplace",
        "お客さんの傘、雨降ってたから勝手に使っちゃった(コンビニ店員)",
        {"お客さんの", "勝手に使"},
    ),
    ("discrimination", "妊婦様がまたエレベーター待ちの列に割り込んできた", {"妊婦様"}),
    ("misinformation", "このサプリで糖尿病も治るってお客さんに説明してる", {"糖尿病も治る", "説明してる"}),
    (
        "confidential_leak",
        "解禁は来週だけど、フォロワーにだけぶっちゃけると新色は3つ",
        {"解禁は", "ぶっちゃけると"},
    ),
    ("inappropriate_expression", "園児の発表会でセクシーなポーズをさせてみた", {"園児", "セクシー"}),
]


def test_taxonomy_is_complete() -> None:
    assert len(CATEGORY_CODES) == 12
    assert set(CATEGORY_LABELS_JA) == set(CATEGORY_CODES) == set(CATEGORY_ADVICE_JA)
    assert LEVELS == ("none", "low", "medium", "high", "critical")
    assert {case[0] for case in RISKY} == set(CATEGORY_CODES)


@pytest.mark.parametrize(("code", "text", "words"), RISKY, ids=[f"{c[0]}:{c[1][:8]}" for c in RISKY])
def test_risky_post_is_flagged(analyzer: Analyzer, code: str, text: str, words: set[str]) -> None:
    judgement = analyzer.analyze_one(text)
    assert judgement.categories, f"nothing found in {text!r}"
    assert judgement.categories[0].code == code, judgement.to_json()
    assert LEVELS.index(judgement.level) >= LEVELS.index("medium"), judgement.to_json()
    evidence = judgement.categories[0].evidence
    found = {e.text for e in evidence}
    assert words <= found, f"{words - found} missing from evidence {found}"
    for item in evidence:
        assert text[item.start : item.end] == item.text
        assert item.reason
    assert judgement.explanation.endswith("。")
    assert "『" in judgement.explanation


def test_levels_follow_risk() -> None:
    assert level_for(0.0) == "none"
    assert level_for(0.149) == "none"
    assert level_for(0.15) == "low"
    assert level_for(0.5) == "medium"
    assert level_for(0.7) == "high"
    assert level_for(0.9) == "critical"
    assert level_for(1.0) == "critical"


def test_celebrity_visit_explanation_names_the_words(analyzer: Analyzer) -> None:
    judgement = analyzer.analyze_one("さっきの会計、俳優の○○さんだった")
    assert "『会計』『俳優』" in judgement.explanation
    assert "著名人の来店情報" in judgement.explanation
    assert "顧客のプライバシー" in judgement.explanation


def test_laughter_and_boasting_raise_risk(analyzer: Analyzer) -> None:
    plain = analyzer.analyze_one("売り物のアイスなめてから戻した")
    laughing = analyzer.analyze_one("売り物のアイスなめてから戻したｗｗｗ")
    assert laughing.risk > plain.risk
    reasons = [e.reason for e in laughing.categories[0].evidence]
    assert any("笑い" in r for r in reasons)
    boast = analyzer.analyze_one("飲んだ後そのまま運転して帰った、余裕だったわ")
    quiet = analyzer.analyze_one("飲んだ後そのまま運転して帰った")
    assert boast.risk > quiet.risk


def test_toxicity_and_wrongdoing_come_from_rules_without_models(analyzer: Analyzer) -> None:
    abuse = analyzer.analyze_one("あの客ほんと消えてほしい")
    confession = analyzer.analyze_one("飲んだ後そのまま運転して帰った")
    benign = analyzer.analyze_one("今日は公園を散歩した")
    assert abuse.toxicity >= 0.5 and abuse.wrongdoing == 0.0
    assert confession.wrongdoing >= 0.5 and confession.toxicity == 0.0
    assert benign.toxicity == benign.wrongdoing == benign.risk == 0.0
    assert benign.level == "none" and benign.categories == ()


def test_sentiment(analyzer: Analyzer) -> None:
    assert analyzer.analyze_one("最高に楽しかった！ありがとう").sentiment.label == "positive"
    negative = analyzer.analyze_one("最悪、ほんとムカつく")
    assert negative.sentiment.label == "negative" and -1.0 <= negative.sentiment.score < 0
    assert analyzer.analyze_one("明日は九時に駅で").sentiment.label == "neutral"
