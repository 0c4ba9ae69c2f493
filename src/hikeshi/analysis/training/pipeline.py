"""The whole training run: all heads, their held-out figures, the model files and the model card."""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import RepeatedStratifiedKFold

from hikeshi.analysis.lexicon import load_lexicon as load_rule_lexicon
from hikeshi.analysis.models import (
    CATEGORY_HEAD,
    HEADS,
    INFO_FILE,
    MODEL_FORMAT_VERSION,
    Head,
    hash_ngrams,
    save_category_head,
    save_head,
)
from hikeshi.analysis.training.card import write_model_card
from hikeshi.analysis.training.category import CATEGORY_SETTINGS, dev_cases_use, train_categories
from hikeshi.analysis.training.data import (
    LabelledTexts,
    load_jcm,
    load_lexicon,
    load_rtp_lx,
    load_team_sentences,
)
from hikeshi.analysis.training.fit import (
    FloatArray,
    IntArray,
    Lexicon,
    LinearSettings,
    feature_matrix,
    fit_linear_head,
    inverse_document_frequency,
    out_of_fold_scores,
)
from hikeshi.analysis.training.groups import similar_text_groups
from hikeshi.analysis.training.metrics import binary_scores, expected_calibration_error, reliability_table

Log = Callable[[str], None]

TOXICITY_SETTINGS = LinearSettings(
    orders=(1, 2, 3, 4), bits=18, c=64.0, class_weight="balanced", calibration="platt", solver="liblinear"
)
# tf-idf: grouped CV accuracy on data_train 0.654 -> 0.658 (bootstrap sd of the difference 0.002); the only
# change of C, orders, class weight, team weight or calibration that CV supported (2026-11-30).
WRONGDOING_SETTINGS = LinearSettings(
    orders=(1, 2, 3, 4),
    bits=18,
    c=16.0,
    class_weight=None,
    calibration="isotonic",
    extra_weight=3.0,
    tfidf=True,
)
TEAM_TOXICITY_FILE = "toxicity_team.tsv"
TEAM_WRONGDOING_FILE = "wrongdoing_team.tsv"
TOXICITY_LEXICON_FILE = "toxicity_lexicon.tsv"
FOLDS = 5
SEED = 20260101
TOXICITY_CV_FOLDS = 10
TOXICITY_CV_REPEATS = 3
TOXICITY_CV_PROTOCOL = (
    f"{TOXICITY_CV_FOLDS}-fold stratified cross-validation repeated {TOXICITY_CV_REPEATS} times over all "
    "shared RTP-LX rows (the project's dev half, even ids); every fold refits the whole pipeline (lexicon "
    "and n-gram features, logistic regression on the fold's rows + the team rows, Platt calibration on "
    f"{FOLDS}-fold out-of-fold scores of the fold's rows; fixed threshold 0.5) and scores only its held-out "
    "tenth; figures are the mean over the repeats, each repeat pooling its ten held-out tenths"
)

DATA_SOURCES = [
    {
        "name": "RTP-LX Japanese (microsoft/RTP-LX, RTP_LX_JA.json V1.0)",
        "licence": "MIT (English source RealToxicityPrompts: Apache-2.0)",
        "use": "toxicity: all shared rows (the even ids, the project's dev half) train the shipped model; "
        "its figure is a repeated 10-fold cross-validation over them (odd ids held back by the project)",
    },
    {
        "name": "JCommonsenseMorality (Language-Media-Lab/commonsense-moral-ja)",
        "licence": "MIT",
        "use": "wrongdoing: data_train.csv trains; data_val.csv held out",
    },
    {
        "name": f"hikeshi team sentences and lexicon (training/{TEAM_TOXICITY_FILE}, training/{TOXICITY_LEXICON_FILE})",
        "licence": "MIT (this project)",
        "use": "toxicity: extra training rows and lexicon-tier features, never evaluated on",
    },
    {
        "name": f"hikeshi team sentences for wrongdoing (training/{TEAM_WRONGDOING_FILE} + ordinary posts of "
        f"training/{TEAM_TOXICITY_FILE})",
        "licence": "MIT (this project)",
        "use": "wrongdoing: extra training rows (weight 3), never evaluated on",
    },
    {
        "name": "hikeshi team category rows (training/category_team.jsonl, training/category_team/*.jsonl) "
        "+ the team rows above with the categories they fit + the rules' lexicon terms",
        "licence": "MIT (this project)",
        "use": "category: one-vs-rest training rows and lexicon-hit features; thresholds chosen on held-out "
        "probabilities (never on the test cases)",
    },
    {
        "name": "hikeshi development cases (evalcases/dev/*.jsonl)",
        "licence": "MIT (this project)",
        "use": "category: " + dev_cases_use(CATEGORY_SETTINGS),
    },
]


def probabilities(head: Head, texts: list[str]) -> FloatArray:
    """Calibrated probabilities of one head, computed exactly as ``ModelSet.predict`` does."""
    batch = hash_ngrams(texts, head.orders, head.bits)
    return head.calibrate(head.raw_scores(batch, len(texts)))


def held_out_report(probs: FloatArray, labels: list[int]) -> dict[str, object]:
    return {
        "scores": binary_scores(probs, labels).as_dict(),
        "ece": round(expected_calibration_error(probs, labels), 4),
        "reliability": [b.as_dict() for b in reliability_table(probs, labels)],
    }


def fit_toxicity(
    train: LabelledTexts, team: LabelledTexts, lexicon: Lexicon, settings: LinearSettings
) -> Head:
    """Train on RTP-LX rows + team rows; calibrate on out-of-fold scores of the RTP-LX rows only.

    The idf comes from the same training texts (document frequencies only, no labels).
    """
    idf = (
        inverse_document_frequency(train.texts + team.texts, settings.orders, settings.bits)
        if settings.tfidf
        else None
    )
    x = feature_matrix(train.texts, settings.orders, settings.bits, lexicon, idf)
    y: IntArray = np.asarray(train.labels, dtype=np.int64)
    x_team = feature_matrix(team.texts, settings.orders, settings.bits, lexicon, idf)
    y_team: IntArray = np.asarray(team.labels, dtype=np.int64)
    oof = out_of_fold_scores(x, y, settings, folds=FOLDS, seed=SEED, extra_x=x_team, extra_y=y_team)
    return fit_linear_head(
        "toxicity",
        sp.vstack([x, x_team]).tocsr(),
        np.concatenate([y, y_team]),
        settings,
        calibration_scores=oof,
        calibration_labels=y,
        lexicon=lexicon,
        idf=idf,
        sample_weight=np.concatenate([np.ones(len(y)), np.full(len(y_team), settings.extra_weight)]),
    )


def cross_validated_toxicity(
    rows: LabelledTexts, team: LabelledTexts, lexicon: Lexicon, settings: LinearSettings
) -> FloatArray:
    """Per repeat, a calibrated probability for every row from a pipeline (features, model, calibration)
    fitted without it: shape (repeats, rows)."""
    probs = np.zeros((TOXICITY_CV_REPEATS, len(rows)), dtype=np.float64)
    splitter = RepeatedStratifiedKFold(
        n_splits=TOXICITY_CV_FOLDS, n_repeats=TOXICITY_CV_REPEATS, random_state=SEED + 1
    )
    for index, (fold_train, fold_test) in enumerate(splitter.split(np.zeros(len(rows)), rows.labels)):
        fold = LabelledTexts(
            [rows.texts[i] for i in fold_train], [rows.labels[i] for i in fold_train], "fold"
        )
        head = fit_toxicity(fold, team, lexicon, settings)
        probs[index // TOXICITY_CV_FOLDS, fold_test] = probabilities(head, [rows.texts[i] for i in fold_test])
    return probs


def repeated_cv_report(probs: FloatArray, labels: list[int]) -> dict[str, object]:
    """Scores at 0.5 per repeat, their mean and spread, and calibration over every repeat's predictions."""
    per_repeat = [binary_scores(row, labels).as_dict() for row in probs]
    report = held_out_report(probs.reshape(-1), labels * probs.shape[0])
    mean = {
        key: round(float(np.mean([r[key] for r in per_repeat])), 4)
        for key in ("precision", "recall", "f1", "accuracy")
    }
    f1s = [float(r["f1"]) for r in per_repeat]
    report["scores"] = {**mean, "n": len(labels), "positives": int(sum(labels))}
    report["f1_sd_over_repeats"] = round(float(np.std(f1s)), 4)
    report["per_repeat"] = per_repeat
    report["protocol"] = TOXICITY_CV_PROTOCOL
    return report


def train_toxicity(data_dir: pathlib.Path | None, log: Log) -> tuple[Head, dict[str, object]]:
    rows = load_rtp_lx("all", data_dir)
    team = load_team_sentences(TEAM_TOXICITY_FILE)
    settings = TOXICITY_SETTINGS
    lexicon = Lexicon.build(load_lexicon(TOXICITY_LEXICON_FILE), settings.orders)
    log(
        f"toxicity: {len(rows)} RTP-LX rows ({sum(rows.labels)} toxic) + {len(team)} team rows, "
        f"lexicon {lexicon.hashes.size} terms in {lexicon.n_tiers} tiers"
    )
    cv = repeated_cv_report(cross_validated_toxicity(rows, team, lexicon, settings), rows.labels)
    log(
        f"toxicity: {TOXICITY_CV_FOLDS}-fold CV x {TOXICITY_CV_REPEATS} over the dev half: {cv['scores']} "
        f"(F1 sd {cv['f1_sd_over_repeats']})  ECE {cv['ece']}"
    )
    head = fit_toxicity(rows, team, lexicon, settings)
    return head, {"cv_dev_half": cv, "settings": settings.__dict__}


def wrongdoing_team_rows() -> LabelledTexts:
    """Team rows for the wrongdoing head: its own file plus the ordinary posts of the toxicity file."""
    ordinary = load_team_sentences(TEAM_TOXICITY_FILE)
    benign = [text for text, label in zip(ordinary.texts, ordinary.labels, strict=True) if label == 0]
    return load_team_sentences(TEAM_WRONGDOING_FILE) + LabelledTexts(
        benign, [0] * len(benign), "team/ordinary"
    )


def train_wrongdoing(data_dir: pathlib.Path | None, log: Log) -> tuple[Head, dict[str, object]]:
    train, val = load_jcm("train", data_dir), load_jcm("val", data_dir)
    team = wrongdoing_team_rows()
    settings = WRONGDOING_SETTINGS
    log(
        f"wrongdoing: {len(train)} JCommonsenseMorality training rows ({sum(train.labels)} wrong) + "
        f"{len(team)} team rows ({sum(team.labels)} wrong)"
    )
    idf = inverse_document_frequency(train.texts, settings.orders, settings.bits) if settings.tfidf else None
    x = feature_matrix(train.texts, settings.orders, settings.bits, idf=idf)
    y: IntArray = np.asarray(train.labels, dtype=np.int64)
    x_team = feature_matrix(team.texts, settings.orders, settings.bits, idf=idf)
    y_team: IntArray = np.asarray(team.labels, dtype=np.int64)
    # Minimal pairs sit on neighbouring rows: keep each pair in one fold so CV cannot peek at the twin.
    groups: IntArray = similar_text_groups(train.texts)
    oof = out_of_fold_scores(
        x, y, settings, folds=FOLDS, seed=SEED, groups=groups, extra_x=x_team, extra_y=y_team
    )
    # The sign of an out-of-fold score is the uncalibrated decision: an honest CV figure without
    # fitting the calibrator on the rows it is scored on.
    cv_scores = binary_scores((oof >= 0).astype(np.float64), train.labels).as_dict()
    log(f"wrongdoing: 5-fold grouped CV on data_train: {cv_scores}")
    head = fit_linear_head(
        "wrongdoing",
        sp.vstack([x, x_team]).tocsr(),
        np.concatenate([y, y_team]),
        settings,
        calibration_scores=oof,
        calibration_labels=y,
        idf=idf,
        sample_weight=np.concatenate([np.ones(len(y)), np.full(len(y_team), settings.extra_weight)]),
    )
    val_report = held_out_report(probabilities(head, val.texts), val.labels)
    log(f"wrongdoing: data_val (never trained on): {val_report['scores']}  ECE {val_report['ece']}")
    return head, {"cv_train": {"scores": cv_scores}, "jcm_val": val_report, "settings": settings.__dict__}


def _trained_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return moment.date().isoformat()


def train_all(output: pathlib.Path, data_dir: pathlib.Path | None, log: Log) -> dict[str, object]:
    heads: dict[str, Head] = {}
    metrics: dict[str, object] = {}
    heads["toxicity"], metrics["toxicity"] = train_toxicity(data_dir, log)
    heads["wrongdoing"], metrics["wrongdoing"] = train_wrongdoing(data_dir, log)
    assert tuple(heads) == HEADS
    category, metrics[CATEGORY_HEAD] = train_categories(log)
    output.mkdir(parents=True, exist_ok=True)
    for name, head in heads.items():
        save_head(output / f"{name}.npz", head)
    save_category_head(output / f"{CATEGORY_HEAD}.npz", category)
    info: dict[str, object] = {
        "format_version": MODEL_FORMAT_VERSION,
        "trained_date": _trained_date(),
        # The category head's lexicon features come from this lexicon: a later lexicon still loads (the terms
        # are stored in category.npz), but `make train` on it gives another model.
        "lexicon_version": load_rule_lexicon().version,
        "data": DATA_SOURCES,
        "metrics": metrics,
        "trainer": "python -m hikeshi.analysis.training",
    }
    (output / INFO_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    write_model_card(output / "MODEL_CARD.md", info)
    return info
