"""The classic traps: negation, campaigns against a wrong, news, fiction, quoting someone else."""

from __future__ import annotations

import pytest

from hikeshi.analysis import Analyzer

SAFE = [
    "飲酒運転撲滅キャンペーンに参加",
    "20歳になったので初めてのビール",
    "公式サイトで新商品を発表しました",
    "飲酒運転は絶対しない、代行を呼んだ",
    "お酒を飲んだので運転はしませんでした",
    "ニュースで飲酒運転の容疑者が逮捕されたって",
    "ドラマで主人公が万引きするシーンがあった",
    "今日は公園を散歩した",
    "新しいカフェのパンケーキ美味しかった",
    "買ったばかりのお皿がかわいい",
    "店長が差し入れくれた、優しい",
    "冷蔵庫の中の食材で夕飯を作った",
    "台風が来るので早めに帰ります",
    "#交通安全 飲酒運転は犯罪です。ハンドルキーパー運動にご協力を",
    # hard negatives of the sub-kinds added by the coverage pass (lexicon 2026.11.3)
    "立入禁止の看板を見て引き返した",
    "競馬で万馬券当たった！",
    "給付金の申請、市役所で手続きしてきた",
    "確定申告、副業分もちゃんと申告した",
    "オンラインカジノは日本では違法です。広告に注意",
    "盗撮防止のため、更衣室でのスマホ使用は禁止です",
    "ICカードの残高不足で改札に止められた",
    "ライブのチケット、公式リセールで定価で譲った",
    "期日前投票してきた。列が短かった",
    "うつ病で休んでた同僚が復帰。無理せずやってね",
    "アレルギー表示がわかりやすくて安心して外食できた",
    # words hidden inside other words: サブスク (ブス), 考えろ (えろ), 配信者 (信者), ポスター (スター)
    "サブスクの解約、アプリからすぐできた",
    "自分の頭で考えろ、と先生はよく言っていた",
    "好きな配信者の新しい動画、今日も面白かった",
    "選挙のポスター掲示板、近所にも立った",
    # hard negatives of the second coverage pass's registers (lexicon 2026.11.4)
    "友達のデザインをパクったって疑われたけど、ちゃんと許可もらってた",
    "記憶ないけど家に着いてた。財布にタクシーの領収書あった",
    "粗大ゴミの回収、電話で予約したら翌週来てくれた",
    "ゴミ拾いボランティアに参加してきた。川がきれいになった",
    "スマホ壊れたから機種変した。新しいの快適すぎる",
    "10年使った洗濯機、ついに寿命。今までありがとう",
    "ヒントだけ言うと、今日のおやつはプリンです",
    "祖母の葬儀、昔話で笑いながら見送れた。祖母らしい最期やった",
    "冷凍したご飯はレンジに入れて温めるとふっくらする、やってみて",
    "飲んだら乗るな。今日は夫に運転任せてビール",
    "社畜だけど今日は定時ダッシュ成功🙌",
    "ボーナス出た！少ないけど家族で回転寿司",
    "中の人のブログ、毎回楽しく読んでます",
    "株買うなら長期で、って本に書いてあった",
    # hard negatives of the third coverage pass: the industries' ordinary posts (lexicon 2026.11.5)
    "夜勤明けのコンビニスイーツが生きがい。今日もおつかれ自分",
    "担任してる子たちが合唱祭で金賞！泣いた",
    "新バージョン、本日リリースしました。変更点は公式ブログにまとめています",
    "外国人の入居者さん向けに、ゴミ出しのルールを英語でも貼り出した",
    "落とし物の財布、持ち主に連絡がついて無事お返しできました",
    "薬剤師さんに、抗生物質は風邪には効かないって教わった",
    "来季の移籍、クラブから正式に発表がありました。応援よろしくお願いします",
    "銀行の窓口で口座開設してきた。思ってたより早く終わった",
    "宿泊者名簿のご記入、ご協力ありがとうございます",
    "病院では患者さんに選挙の話はしないのがルール",
    "配りきれなかった郵便物は局に持ち帰って、翌日配達してます",
    "足場の上では必ず安全帯。今日も無事故で終了",
    "園児たちとお散歩、どんぐりいっぱい拾えた",
    "ドラフト会議で推しの選手が指名された！",
    # a hedged impression (「気がする」) is not yet a complaint; the same words stated as fact are (test below)
    "いつものお弁当、ちょっと量が少なくなった気がする",
    "このシャンプー、前より泡立ちが悪い気がする",
    # hard negatives of the precision pass (lexicon 2026.11.7): a category's words in a harmless context
    "ダンス教室の先生、ニューヨーク出身の黒人の方でめちゃくちゃかっこいい",
    "通り魔事件のニュース、怖くて夜道を歩くのが不安になった",
    "バイト終わりにみんなでプリ撮ってきた〜 #バイト仲間 #休日",
    "各党の公約を比べる表を作ってみた。投票の参考になれば",
    "初期不良かどうか見分ける方法ってありますか？買ったばかりの掃除機の音が気になる",
    "説明書ちゃんと読んだら使い方わかった。壊れてると思ってたの自分の勘違いでしたｗ",
    "賞味期限切れの食材は廃棄リストに書いて店長に報告してから捨ててます",
    "リコールの案内が来たので販売店で無料交換してもらった。対応早くて安心",
    "噂を信じて買い占めてしまった昔の自分を反省してる",
    "社畜の主人公が理不尽な会社と戦う漫画、最終巻まで一気読みした。スカッとする",
    "空港の近くは飛行禁止区域なので、ドローンは河川敷の許可エリアで練習してる",
    "先月の不正アクセスについて、本日公式サイトで公表し、お詫びと対策をお知らせしました",
    # Pass 6 (lexicon 2026.11.9): words that collided with a rule's words, and leave given or a limit kept.
    "災害派遣から帰ってきた自衛官の兄に、家族みんなでお疲れさま会をした",
    "余ったお菓子、店長が持って帰っていいよって言うからもらって帰った",
    "高校生のバイトは22時までにはきっちり上がってもらってます",
    "友達みんなビール飲んでたけど、私は運転手役なのでウーロン茶",
    "会議の議事録、数字は先月の実績をそのまま出しました",
]


def test_a_hedge_softens_a_complaint_only_when_present(analyzer: Analyzer) -> None:
    hedged = analyzer.analyze_one("いつものお弁当、ちょっと量が少なくなった気がする")
    stated = analyzer.analyze_one("いつものお弁当、量が少なくなったのに値段は同じ。ありえない")
    assert hedged.level == "low" and stated.level in ("medium", "high", "critical")
    assert "complaint_quality" in {c.code for c in stated.categories}


@pytest.mark.parametrize("text", SAFE)
def test_benign_post_stays_none_or_low(analyzer: Analyzer, text: str) -> None:
    judgement = analyzer.analyze_one(text)
    assert judgement.level in ("none", "low"), judgement.to_json()


def test_negation_lowers_but_keeps_confession_distinct(analyzer: Analyzer) -> None:
    confessed = analyzer.analyze_one("飲んで運転して帰った")
    denied = analyzer.analyze_one("飲んで運転はしない")
    assert confessed.level in ("high", "critical")
    assert denied.risk < confessed.risk / 2


def test_suppressed_finding_is_explained(analyzer: Analyzer) -> None:
    judgement = analyzer.analyze_one("飲酒運転撲滅キャンペーンに参加")
    assert judgement.level == "none"
    assert "防止・啓発" in judgement.explanation
