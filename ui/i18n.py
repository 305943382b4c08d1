"""Japanese and English texts, and the language switch shown on every page."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from ui.keys import TRANSLATED_CHOICES

LANGS = {"ja": "日本語", "en": "English"}

TEXTS: dict[str, dict[str, str]] = {
    "app_title": {"ja": "Seq2seq 教室", "en": "Seq2seq classroom"},
    "language": {"ja": "言語 / Language", "en": "Language / 言語"},
    "nav_try": {"ja": "試す", "en": "Try"},
    "nav_train": {"ja": "学習させる", "en": "Train"},
    "sidebar_about": {
        "ja": "『ゼロから作るDeep Learning ❷』7・8章の seq2seq を NumPy だけで動かしています。",
        "en": "The seq2seq models of chapters 7-8 of 『ゼロから作るDeep Learning ❷』, in pure NumPy.",
    },
    # tasks
    "task": {"ja": "課題", "en": "Task"},
    "task_addition": {"ja": "足し算 (16+75 → 91)", "en": "Addition (16+75 → 91)"},
    "task_date": {"ja": "日付の正規化 (September 27, 1994 → 1994-09-27)",
                  "en": "Date normalisation (September 27, 1994 → 1994-09-27)"},
    "task_date_ja": {"ja": "日付の正規化・日本語も (平成25年6月17日 → 2013-06-17)",
                     "en": "Dates, also in Japanese (平成25年6月17日 → 2013-06-17)"},
    "task_reverse": {"ja": "文字列の反転 (abc → cba)", "en": "String reversal (abc → cba)"},
    "task_sort": {"ja": "数字の並べ替え (3141 → 1134)", "en": "Digit sorting (3141 → 1134)"},
    "task_upload": {"ja": "アップロードしたデータ ({name})", "en": "Uploaded data ({name})"},
    # Try page
    "try_title": {"ja": "学習済みモデルに質問する", "en": "Ask a trained model"},
    "try_intro": {
        "ja": "質問を入力すると、デコーダが答えを 1 文字ずつ貪欲に (最も確率の高い文字を) 選びます。",
        "en": "Type a question: the decoder writes the answer one character at a time, "
              "always taking the most probable character (greedy decoding).",
    },
    "model_source": {"ja": "モデル", "en": "Model"},
    "model_shipped": {"ja": "同梱の学習済みモデル", "en": "Shipped pretrained model"},
    "model_session": {"ja": "このセッションで学習中のモデル", "en": "The model trained in this session"},
    "model_none": {"ja": "この課題のモデルはまだありません。「学習させる」ページで学習させてください。",
                   "en": "There is no model for this task yet: train one on the Train page."},
    "model_info": {"ja": "{kind} · 隠れ層 {hidden} · 入力反転 {reverse} · 検証正解率 {acc}",
                   "en": "{kind} · hidden {hidden} · reversed input {reverse} · held-out accuracy {acc}"},
    "yes": {"ja": "あり", "en": "yes"},
    "no": {"ja": "なし", "en": "no"},
    "query": {"ja": "質問", "en": "Question"},
    "query_placeholder": {"ja": "例: {example}", "en": "e.g. {example}"},
    "examples": {"ja": "例", "en": "Examples"},
    "answer": {"ja": "答え", "en": "Answer"},
    "step": {"ja": "ステップ {n}", "en": "Step {n}"},
    "top5": {"ja": "上位 5", "en": "top 5"},
    "tile_wrong": {"ja": "違う", "en": "wrong"},
    "tile_wrong_step": {"ja": "ステップ {n} が違う: 正しくは {c}", "en": "step {n} wrong: expected {c}"},
    "candidate": {"ja": "候補の文字", "en": "Candidate"},
    "probability": {"ja": "確率", "en": "Probability"},
    "space": {"ja": "␣ (空白)", "en": "␣ (space)"},
    "truth": {"ja": "正解: {truth}", "en": "True answer: {truth}"},
    "right": {"ja": "☑ 正解", "en": "☑ right"},
    # what-if decoding and beam search (Try page)
    "whatif": {"ja": "もしも: ある文字を別の候補に変えたら？", "en": "What if: force another character"},
    "whatif_help": {"ja": "ステップと候補を選ぶと、デコーダにその文字を書かせ、残りをそこから貪欲に続けます。",
                    "en": "Pick a step and a candidate: the decoder is made to write that character and "
                          "goes on greedily from there."},
    "whatif_step": {"ja": "変えるステップ", "en": "Step to change"},
    "whatif_char": {"ja": "代わりに書かせる文字", "en": "Character to write instead"},
    "whatif_result": {"ja": "変えた後の答え: {text} (答え全体の確率 {p} 、貪欲な答えは {greedy})",
                      "en": "Answer after the change: {text} (probability of the whole answer {p}; "
                            "greedy answer {greedy})"},
    "whatif_pick": {"ja": "ステップと文字を選んでください。", "en": "Pick a step and a character."},
    "beam": {"ja": "ビームサーチと比べる", "en": "Compare with beam search"},
    "beam_help": {"ja": "貪欲法は各ステップで最も確率の高い文字を選びます。ビームサーチは幅 k の候補を残し、"
                        "答え全体の確率が最も高いものを探します。",
                  "en": "Greedy decoding takes the most probable character at each step. Beam search keeps "
                        "the k best partial answers and looks for the answer with the highest probability "
                        "as a whole."},
    "beam_width": {"ja": "ビーム幅 k", "en": "Beam width k"},
    "beam_rank": {"ja": "順位", "en": "Rank"},
    "beam_prob": {"ja": "答え全体の確率", "en": "Probability of the answer"},
    "beam_logp": {"ja": "対数確率", "en": "Log-probability"},
    "beam_from": {"ja": "祖先の順位 (ステップごと)", "en": "Its ancestors' ranks, step by step"},
    "beam_right": {"ja": "正誤", "en": "Right?"},
    "beam_steps": {"ja": "各ステップの確率", "en": "Each step's probability"},
    "beam_greedy": {"ja": "貪欲な答え", "en": "Greedy answer"},
    "beam_same": {"ja": "ビームの 1 位は貪欲な答えと同じです。", "en": "The best beam is the greedy answer."},
    "beam_differs": {"ja": "ビームの 1 位 ({best}) は貪欲な答え ({greedy}) と違います。",
                     "en": "The best beam ({best}) differs from the greedy answer ({greedy})."},
    "wrong": {"ja": "☒ 不正解", "en": "☒ wrong"},
    "err_empty": {"ja": "質問が空です。", "en": "The question is empty."},
    "err_unknown": {"ja": "使えない文字があります: {chars}。", "en": "Unknown character(s): {chars}."},
    "err_too_long": {"ja": "質問が長すぎます ({n} 文字)。", "en": "The question is too long ({n} characters)."},
    "allowed": {"ja": "使える文字: {chars}(最大 {width} 文字)", "en": "Allowed: {chars} (at most {width} characters)"},
    "query_help": {"ja": "最大 {width} 文字", "en": "At most {width} characters"},
    "query_help_spaces": {"ja": "最大 {width} 文字 (空白は数えず、無視します)",
                          "en": "At most {width} characters (spaces are not counted: they are ignored)"},
    # odd questions (Try page): answered, but outside what the model was trained on
    "odd_note": {"ja": "学習の範囲外: {reasons}", "en": "Outside training: {reasons}"},
    "odd_truth": {"ja": "正解は {truth} ですが、学習の範囲外の質問なので正誤は付けません。",
                  "en": "The true answer is {truth}, but the question is outside training, so the answer "
                        "is not marked right or wrong."},
    "odd_no_truth": {"ja": "正しい答えがない質問なので、正誤は付けません。",
                     "en": "The question has no true answer, so the answer is not marked right or wrong."},
    "odd_part_first": {"ja": "1 つ目の数", "en": "the first number"},
    "odd_part_second": {"ja": "2 つ目の数", "en": "the second number"},
    "odd_part_day": {"ja": "日", "en": "the day"},
    "odd_part_month": {"ja": "月", "en": "the month"},
    "odd_no_plus": {"ja": "「+」がありません (学習したのは a+b の形の質問)",
                    "en": "there is no '+' (the model learned questions of the form a+b)"},
    "odd_many_plus": {"ja": "「+」が {n} 個あります (学習したのは a+b の形の質問)",
                      "en": "there are {n} '+' signs (the model learned questions of the form a+b)"},
    "odd_missing_number": {"ja": "{part}がありません (学習したのは a+b の形の質問)",
                           "en": "{part} is missing (the model learned questions of the form a+b)"},
    "odd_no_numbers": {"ja": "数がありません (学習したのは a+b の形の質問)",
                       "en": "there are no numbers (the model learned questions of the form a+b)"},
    "odd_too_many_digits": {"ja": "{part}が {digits} 桁です (学習したのは {max} 桁まで)",
                            "en": "{part} has {digits} digits, the model learned up to {max}"},
    "odd_leading_zero": {"ja": "{part}が 0 から始まっています (学習データにはない書き方)",
                         "en": "{part} is written with a leading 0, which the model never saw"},
    "odd_date_form": {"ja": "学習した書き方のどれでもありません ({forms})",
                      "en": "it is not one of the written forms the model learned ({forms})"},
    "odd_month_name": {"ja": "「{word}」は学習した月の名前ではありません (略さない形か、先頭 3 文字)",
                       "en": "'{word}' is not a month name the model learned (in full or its first three letters)"},
    "odd_weekday_name": {"ja": "「{word}」は学習した曜日の名前ではありません (略さない形)",
                         "en": "'{word}' is not a weekday name the model learned (written in full)"},
    "odd_weekday": {"ja": "{date} は {word} ではなく {weekday} です",
                    "en": "{date} is a {weekday}, not a {word}"},
    "odd_no_such_date": {"ja": "そのような日はありません", "en": "there is no such day"},
    "odd_year_range": {"ja": "{year} 年は学習した年の範囲 ({lo}〜{hi} 年) の外です",
                       "en": "the year {year} is outside the years the model learned ({lo}-{hi})"},
    "odd_letter_case": {"ja": "大文字と小文字が混ざっています (学習したのは Title・lower・UPPER の 3 通り)",
                        "en": "the letters mix cases (the model learned Title, lower or UPPER case)"},
    "odd_length": {"ja": "{n} 文字です (学習したのは {lo}〜{hi} 文字)",
                   "en": "it has {n} characters, the model learned {lo} to {hi}"},
    "space_word": {"ja": "空白", "en": "space"},
    # Train page
    "train_title": {"ja": "モデルを学習させる", "en": "Train a model"},
    "train_intro": {
        "ja": "設定を選んで「開始」を押すと、このセッション専用のモデルがその場で学習します。",
        "en": "Choose the settings and press Start: a model of your own trains live in this session.",
    },
    "preset": {"ja": "プリセット", "en": "Preset"},
    "preset_default": {"ja": "速く学習する既定の設定", "en": "Fast default"},
    "preset_book_baseline": {"ja": "本の設定: 素の seq2seq", "en": "Book: plain seq2seq"},
    "preset_book_reversed": {"ja": "本の設定: 入力反転", "en": "Book: reversed input"},
    "preset_book_peeky": {"ja": "本の設定: Peeky + 入力反転", "en": "Book: Peeky + reversed"},
    "preset_book_attention": {"ja": "本の設定: Attention", "en": "Book: attention"},
    "preset_gru": {"ja": "GRU で Attention (付録 C)", "en": "Attention with a GRU (appendix C)"},
    "preset_transformer": {"ja": "Transformer (ヘッド 4、幅 64)", "en": "Transformer (4 heads, 64 wide)"},
    "model_kind": {"ja": "モデルの種類", "en": "Model kind"},
    "kind_seq2seq": {"ja": "Seq2seq", "en": "Seq2seq"},
    "kind_peeky": {"ja": "Peeky Seq2seq", "en": "Peeky Seq2seq"},
    "kind_attention": {"ja": "Attention Seq2seq", "en": "Attention Seq2seq"},
    "kind_transformer": {"ja": "Transformer (8.5.3)", "en": "Transformer (8.5.3)"},
    "heads_header": {"ja": "ヘッドごとの注意 (Transformer)", "en": "Every head's attention (Transformer)"},
    "heads_which": {"ja": "どの注意", "en": "Which attention"},
    "heads_map_cross": {"ja": "デコーダ → 問題 (交差注意)", "en": "decoder → question (cross-attention)"},
    "heads_map_encoder": {"ja": "問題 → 問題 (エンコーダの自己注意)", "en": "question → question (encoder self-attention)"},
    "heads_map_decoder": {"ja": "答え → 答え (デコーダの自己注意)", "en": "answer → answer (decoder self-attention)"},
    "heads_layer": {"ja": "層", "en": "Layer"},
    "head": {"ja": "ヘッド {k}", "en": "head {k}"},
    "heads_pick": {"ja": "ヘッド", "en": "Head"},
    "heads_divide": {"ja": "ヘッドの数 ({heads}) は隠れ状態の大きさ ({hidden}) を割り切る数にしてください "
                           "(Transformer では各ヘッドが幅 {hidden} を等分します)。",
                     "en": "The number of heads ({heads}) must divide the hidden size ({hidden}): each of the "
                           "Transformer's heads takes an equal share of its width."},
    "heads_all": {"ja": "すべて並べる", "en": "all, side by side"},
    "layers": {"ja": "層の数", "en": "Layers"},
    "layers_help": {"ja": "Transformer のエンコーダとデコーダ、それぞれの層の数", "en": "The Transformer's layers in "
                    "its encoder and in its decoder"},
    "heads": {"ja": "ヘッドの数", "en": "Heads"},
    "heads_help": {"ja": "Transformer の注意のヘッドの数 (隠れ状態の大きさを割り切る数)",
                   "en": "The Transformer's attention heads (they must divide the hidden size, its model width)"},
    "reverse": {"ja": "入力を反転する", "en": "Reverse the input"},
    "wordvec": {"ja": "埋め込みの次元", "en": "Word vector size"},
    "hidden": {"ja": "隠れ状態の次元", "en": "Hidden size"},
    "forget_bias": {"ja": "忘却ゲートのバイアス初期値", "en": "Forget gate bias at start"},
    "forget_bias_help": {
        "ja": "LSTM の忘却ゲート f のバイアス b_f の初期値。本は 0。1 にすると学習の初めから記憶を保ちやすく、速く学ぶ（速い既定値は 1）。",
        "en": "The initial bias b_f of every LSTM's forget gate f. The book uses 0; 1 keeps the memory from the "
              "start of training, so the model learns sooner (the fast default uses 1).",
    },
    "batch": {"ja": "バッチサイズ", "en": "Batch size"},
    "lr": {"ja": "学習率", "en": "Learning rate"},
    "clip": {"ja": "勾配クリッピング (0 でなし)", "en": "Gradient clipping (0 = off)"},
    "seed": {"ja": "乱数シード", "en": "Random seed"},
    "epochs": {"ja": "エポック数", "en": "Epochs"},
    "train_size": {"ja": "学習データの数", "en": "Training examples"},
    "schedule": {"ja": "学習率の変化", "en": "Learning-rate schedule"},
    "schedule_constant": {"ja": "一定 (本と同じ)", "en": "constant (as in the book)"},
    "schedule_cosine": {"ja": "コサインで減衰", "en": "cosine decay"},
    "settings": {"ja": "設定", "en": "Settings"},
    "settings_pending": {"ja": "設定の変更は「リセット」で反映されます。",
                         "en": "Changed settings take effect when you press Reset."},
    "start": {"ja": "開始", "en": "Start"},
    "pause": {"ja": "一時停止", "en": "Pause"},
    "step_btn": {"ja": "1 バッチ", "en": "Step"},
    "reset": {"ja": "リセット", "en": "Reset"},
    "status_idle": {"ja": "待機中", "en": "Ready"},
    "status_running": {"ja": "学習中", "en": "Training"},
    "status_paused": {"ja": "一時停止中", "en": "Paused"},
    "status_finished": {"ja": "完了", "en": "Finished"},
    "status_diverged": {"ja": "発散して停止", "en": "Stopped: diverged"},
    "idle_paused": {"ja": "しばらく誰も見ていなかったので一時停止しました。",
                    "en": "Paused because nobody was watching for a while."},
    "moved_paused": {"ja": "この学習は別のタブ (またはウィンドウ) で開かれたので、ここでは止めました。続きはそちらで。",
                     "en": "This run was opened in another tab or window, so it stopped here; it goes on there."},
    "resumed_same_server": {"ja": "イテレーション {it:,} の学習を再開しました (失われたものはありません)。",
                            "en": "Your run is back at iteration {it:,} (nothing was lost)."},
    "resumed_other_server": {"ja": "イテレーション {it:,} の学習を再開しました (別のサーバーでの保存から。失われたものはありません)。",
                             "en": "Your run is back at iteration {it:,} (saved on another server; nothing was lost)."},
    "resumed_stopped_server": {
        "ja": "イテレーション {it:,} から再開しました。サーバーが止まる {s:.0f} 秒前の保存で、その後の学習は失われました。",
        "en": "Resumed at iteration {it:,}, saved {s:.0f} s before the server stopped: the training after that was "
              "lost."},
    "resume_failed": {"ja": "このアドレスの学習は復元できませんでした: {why}。新しいセッションで始めます。ほかには何も変わりません。",
                      "en": "The run in this address could not be brought back: {why}. A new session has started; "
                            "nothing else was changed."},
    "resume_why_malformed": {"ja": "?run= の後ろが、このアプリの作るコードではありません",
                             "en": "the code after ?run= is not one this app makes"},
    "resume_why_unknown": {"ja": "その学習はもう保存されていません (期限切れか、容量のため削除されました)",
                           "en": "no run is saved under it any more (it expired, or was removed to make room)"},
    "resume_why_expired": {"ja": "最後の保存から {h:g} 時間以上たっていました",
                           "en": "it was last saved more than {h:g} hours ago"},
    "resume_why_corrupt": {"ja": "保存ファイルが壊れているか、途中で切れています",
                           "en": "its save is damaged or cut short"},
    "resume_why_old_format": {"ja": "別のバージョンのアプリで保存されています",
                              "en": "it was saved by another version of the app"},
    "resume_why_invalid": {"ja": "保存内容がこのアプリのモデルやデータに合いません",
                           "en": "its save does not fit this app's models or data"},
    "resume_why_unwritable": {"ja": "このサーバーでは学習を保存も読み込みもできません",
                              "en": "runs cannot be saved or read on this server"},
    "not_saving": {"ja": "このサーバーでは学習が保存されていません: {why}",
                   "en": "Runs are not being saved on this server: {why}"},
    "save_failed": {"ja": "最後の保存に失敗しました: {why}。学習は続いており、それまでの保存は残っています。",
                    "en": "The last save failed: {why}. Training goes on; any earlier save is kept."},
    "save_why_too_large": {"ja": "この学習は {mb} MB で、1 件あたりの上限 {limit} MB を超えています",
                           "en": "the run takes {mb} MB, more than the {limit} MB a run may take"},
    "save_why_unwritable": {"ja": "保存先に書き込めません ({detail})", "en": "the run folder cannot take it ({detail})"},
    "saved_note": {"ja": "{s:.0f} 秒前に保存 (このページのアドレスで、いつでも続きから再開できます)",
                   "en": "Saved {s:.0f} s ago (this page's address brings the run back at any time)"},
    "diverged_help": {
        "ja": "損失が発散した (inf/NaN、または当て推量の何十倍にもなった) ので学習を止め、"
              "モデルを最後の健全な重みに戻しました。学習率を下げる (例: {lr}) か"
              "勾配クリッピングを有効にしてから「リセット」してください。",
        "en": "The loss blew up (inf/NaN, or tens of times worse than guessing), so training stopped and the model "
              "went back to its last good weights. Lower the learning rate (e.g. to {lr}) or turn gradient clipping "
              "on, then press Reset.",
    },
    "epoch": {"ja": "エポック", "en": "Epoch"},
    "iteration": {"ja": "イテレーション", "en": "Iteration"},
    "speed": {"ja": "例/秒", "en": "Examples/s"},
    "elapsed": {"ja": "学習時間", "en": "Training time"},
    "val_acc": {"ja": "検証正解率", "en": "Held-out accuracy"},
    "loss_chart": {"ja": "損失 (バッチごと)", "en": "Loss per batch"},
    "acc_chart": {"ja": "検証データの正解率", "en": "Held-out accuracy"},
    "loss": {"ja": "損失", "en": "Loss"},
    "smoothed": {"ja": "平滑化", "en": "smoothed"},
    "per_batch": {"ja": "バッチ", "en": "batch"},
    "exact_match": {"ja": "完全一致", "en": "exact match"},
    "per_char": {"ja": "文字ごと", "en": "per character"},
    "accuracy": {"ja": "正解率", "en": "Accuracy"},
    "probes": {"ja": "検証データの 10 問 (学習には使っていません)", "en": "10 held-out questions (never trained on)"},
    "probe_q": {"ja": "質問", "en": "Question"},
    "probe_truth": {"ja": "正解", "en": "True answer"},
    "probe_guess": {"ja": "モデルの答え", "en": "Model's answer"},
    "probe_ok": {"ja": "判定", "en": "Result"},
    "history": {"ja": "答えができていく様子をさかのぼって見る", "en": "Scrub back through how the answers formed"},
    "history_help": {"ja": "学習中、数回のイテレーションごとに例題の答え・上位 5 候補・Attention を記録しています"
                           " (最大 200 時点、均等に間引き)。",
                     "en": "While training, the examples' answers, top-5 candidates and attention are kept every "
                           "few iterations (at most 200 moments, thinned evenly)."},
    "history_question": {"ja": "例題", "en": "Example"},
    "history_when": {"ja": "記録した時点 ({n} 個、右端が最新)", "en": "Moment kept ({n} so far, the newest on the right)"},
    "history_answer": {"ja": "イテレーション {it} (エポック {ep}) での {q} の答え: {a}",
                       "en": "Answer to {q} at iteration {it} (epoch {ep}): {a}"},
    "history_changes": {"ja": "答えの移り変わり (イテレーション):", "en": "How the answer changed (iteration):"},
    "numbers": {"ja": "数値を表で見る", "en": "Show the numbers as a table"},
    # one-line text alternatives of the charts (st.altair_chart's alt=): what each shows now
    "alt_empty": {"ja": "{what}: まだ値がありません", "en": "{what}: no values yet"},
    "alt_loss": {"ja": "損失 {a} → {b} ({n} イテレーション後)", "en": "loss {a} → {b} after {n} iterations"},
    "alt_acc": {"ja": "検証データの正解率 {a} (1 文字ごと {c}) エポック {ep} 時点",
                "en": "held-out accuracy {a} (per character {c}) at epoch {ep}"},
    "alt_variants": {"ja": "{what}: {items}", "en": "{what}: {items}"},
    "alt_heatmap": {"ja": "{what}: {rows} 行 × {cols} 列、値 {lo} から {hi}",
                    "en": "{what}: {rows} rows × {cols} columns, values {lo} to {hi}"},
    "alt_attention": {"ja": "{what}: 出力の各文字が最も注目した入力 {pairs}",
                      "en": "{what}: the input each output character attends to most, {pairs}"},
    "alt_grid": {"ja": "{what}: 最低 {lo} (a の最上位 {a}、b の最上位 {b})、最高 {hi}",
                 "en": "{what}: lowest {lo} (first digit of a {a}, of b {b}), highest {hi}"},
    "alt_map": {"ja": "{what}: 検証用の {n} 問を{prop}で色分け、入力した {q} は ({x}, {y})",
                "en": "{what}: {n} held-out questions coloured by {prop}, the typed {q} at ({x}, {y})"},
    "save_load": {"ja": "保存・読み込み・データ", "en": "Save, load, data"},
    "download": {"ja": "モデルを保存 (.npz)", "en": "Save the model (.npz)"},
    "upload_weights": {"ja": "モデルを読み込む (.npz)", "en": "Load a model (.npz)"},
    "upload_data": {"ja": "学習データをアップロード (本の形式 question_answer の .txt)",
                    "en": "Upload training data (the book's question_answer format, .txt)"},
    "upload_data_help": {"ja": "例: 16+75  _91  (1 行 1 問、固定幅)",
                         "en": "e.g. 16+75  _91  (one per line, fixed width)"},
    "loaded_weights": {"ja": "モデル {name} を読み込みました (課題: {task})。",
                       "en": "Loaded model {name} (task: {task})."},
    "loaded_title": {"ja": "読み込んだモデル:", "en": "Loaded model:"},
    "loaded_task": {"ja": "課題: {task}", "en": "Task: {task}"},
    "loaded_source": {"ja": "学習データ: {data}", "en": "Trained on: {data}"},
    "loaded_iterations": {"ja": "{n} イテレーション", "en": "{n} iterations"},
    "loaded_epochs": {"ja": "{n} エポック", "en": "{n} epochs"},
    "loaded_trained": {"ja": "学習済み: {what}", "en": "Trained for {what}"},
    "loaded_accuracy": {"ja": "ファイルに記録された検証正解率 (完全一致): {acc}",
                        "en": "Held-out accuracy recorded in the file (exact match): {acc}"},
    "loaded_no_accuracy": {"ja": "ファイルに検証正解率の記録はありません。",
                           "en": "The file records no held-out accuracy."},
    "loaded_hint": {"ja": "「{start}」か「{step}」で学習を続けると、ここに損失のグラフが出ます。",
                    "en": "Press {start} or {step} to train it further: the loss chart then appears here."},
    "bad_weights": {"ja": "このファイルは読み込めません: {err} 今のモデルはそのままです。",
                    "en": "This file cannot be loaded: {err} The current model is kept."},
    "loaded_data": {"ja": "{name}: {n} 問を読み込みました。学習にはこのデータを使います。",
                    "en": "{name}: read {n} examples; training now uses this data."},
    "bad_data": {"ja": "このデータは使えません: {err}", "en": "This data cannot be used: {err}"},
    "use_generated": {"ja": "生成データに戻す", "en": "Back to generated data"},
    "size_limit": {"ja": "上限 {mb} MB", "en": "At most {mb} MB"},
    "no_run": {"ja": "「開始」か「1 バッチ」を押すと学習が始まります。", "en": "Press Start or Step to begin."},
    # dataset errors
    "data_err_empty": {"ja": "ファイルが空です。「16+75  _91  」のような行が必要です。", "en": "The file is empty: expected lines like '16+75  _91  '."},
    "data_err_binary": {"ja": "テキストではありません (バイナリデータ)。1 行 1 問の question_answer 形式のテキストが必要です。", "en": "This is not text (binary data): expected a text file of question_answer lines."},
    "data_err_no_start": {"ja": "質問と答えの間に「_」がありません: {text!r}", "en": "No '_' between question and answer: {text!r}"},
    "data_err_empty_question": {"ja": "「_」の前の質問が空です。", "en": "The question before '_' is empty."},
    "data_err_mixed_widths": {"ja": "幅がそろっていません: 質問 {q} 文字・答え {a} 文字ですが、1 行目は {q1} 文字と {a1} 文字です (全行を空白で同じ幅にそろえてください)。", "en": "Mixed widths: question {q} and answer {a} characters, but line 1 has {q1} and {a1} (pad every line with spaces to the same widths)."},
    "data_err_model_widths": {"ja": "幅 {q}+{a} はこのモデルに合いません (質問は最大 {qw} 文字、答えは「_」を含めて {aw} 文字)。", "en": "Widths {q}+{a} do not fit this model (questions of at most {qw} characters, answers of {aw} with '_')."},
    "data_err_bad_char": {"ja": "文字 {char!r} は語彙にありません (使える文字: {allowed})。", "en": "Character {char!r} is not in the vocabulary (allowed: {allowed})."},
    "data_err_unreadable": {"ja": "ファイルを読めません。", "en": "The file cannot be read."},
    "data_err_one_question": {"ja": "どの行も同じ質問です。2 種類以上の質問が必要です (学習用と評価用)。", "en": "Every line asks the same question: at least 2 different questions are needed (one to train on, one to hold out)."},
    "data_err_too_few": {"ja": "{n} 問しかありません。20 問以上必要です。", "en": "Only {n} examples: at least 20 are needed."},
    # checkpoint errors: the engine's detail follows in brackets
    "ckpt_err_empty": {"ja": "ファイルが空です。", "en": "The file is empty."},
    "ckpt_err_not_npz": {"ja": ".npz のチェックポイントではありません (zip でないか、途中で切れています)。", "en": "Not an .npz checkpoint (not a zip archive, or cut short)."},
    "ckpt_err_damaged": {"ja": "壊れているか途中で切れたファイルです。", "en": "A damaged or truncated file."},
    "ckpt_err_pickle": {"ja": "Python オブジェクト (pickle) を含むため読み込みません (安全のため)。", "en": "It holds Python objects (pickle), which are never loaded (for safety)."},
    "ckpt_err_too_large": {"ja": "大きすぎます (最大 {mb} MB)。", "en": "Too large (at most {mb} MB)."},
    "ckpt_err_not_ours": {"ja": "このアプリのチェックポイントではありません (メタデータがありません/読めません)。", "en": "Not a checkpoint of this app (its metadata is missing or unreadable)."},
    "ckpt_err_mismatch": {"ja": "配列の名前・形・型がメタデータのモデルと合いません。", "en": "Its arrays do not match the model its metadata describes."},
    "ckpt_err_bad_values": {"ja": "重みに inf や NaN、または大きすぎる値があります。", "en": "Its weights hold inf, NaN or values too large."},
    "ckpt_err_other_task": {"ja": "このアプリの課題のモデルではありません。課題: {tasks}。", "en": "It is not a model of one of this app's tasks: {tasks}."},
    "ckpt_err_unreadable": {"ja": "ファイルを読めません。", "en": "The file cannot be read."},
    "ckpt_err_other": {"ja": "詳細: {detail}。", "en": "Detail: {detail}."},
    # Inside page
    "nav_inside": {"ja": "中を見る", "en": "Inside"},
    "inside_title": {"ja": "ネットワークの中を見る", "en": "Look inside the network"},
    "inside_intro": {
        "ja": "Try ページと同じ質問について、エンコーダとデコーダの LSTM が各時刻に何を持っているかを見ます。",
        "en": "For the same question as on the Try page: what the encoder's and decoder's LSTMs hold at every step.",
    },
    "states_header": {"ja": "時刻ごとの状態", "en": "States over time"},
    "state_kind": {"ja": "見るもの", "en": "Show"},
    "state_gru_h": {"ja": "隠れ状態 h", "en": "hidden state h"},
    "state_gru_update": {"ja": "更新ゲート z", "en": "update gate z"},
    "state_gru_reset": {"ja": "リセットゲート r", "en": "reset gate r"},
    "state_gru_candidate": {"ja": "新しい状態の候補 h~ (tanh)", "en": "candidate h~ (tanh)"},
    "cell": {"ja": "再帰層", "en": "Recurrent layer"},
    "cell_lstm": {"ja": "LSTM (本書 6 章)", "en": "LSTM (chapter 6)"},
    "cell_gru": {"ja": "GRU (本書 付録 C)", "en": "GRU (appendix C)"},
    "cell_help": {"ja": "GRU は記憶セルを持たず、更新ゲート z とリセットゲート r の 2 つで h を書き換えます "
                        "(LSTM は 4 つのゲートと記憶セル c)。",
                  "en": "A GRU has no cell state: two gates, update z and reset r, rewrite h (an LSTM has four "
                        "gates and a cell c)."},
    "state_h": {"ja": "隠れ状態 h", "en": "hidden state h"},
    "state_c": {"ja": "記憶セル c", "en": "cell state c"},
    "state_input": {"ja": "入力ゲート i", "en": "input gate i"},
    "state_forget": {"ja": "忘却ゲート f", "en": "forget gate f"},
    "state_output": {"ja": "出力ゲート o", "en": "output gate o"},
    "state_candidate": {"ja": "新しい記憶 g (tanh)", "en": "candidate g (tanh)"},
    "sort_units": {"ja": "ユニットの並べ方", "en": "Order units by"},
    "sort_variance": {"ja": "この入力での分散", "en": "variance on this input"},
    "sort_correlation": {"ja": "性質との相関", "en": "correlation with a property"},
    "sort_index": {"ja": "番号順", "en": "unit number"},
    "top_k": {"ja": "表示するユニット数", "en": "Units shown"},
    "property": {"ja": "性質", "en": "Property"},
    "encoder": {"ja": "エンコーダ", "en": "Encoder"},
    "decoder": {"ja": "デコーダ", "en": "Decoder"},
    "encoder_reads": {"ja": "エンコーダが読む順 (入力反転: {rev})", "en": "as the encoder reads it (reversed input: {rev})"},
    "time_step": {"ja": "時刻: 文字", "en": "step: character"},
    "unit": {"ja": "ユニット", "en": "Unit"},
    "value": {"ja": "値", "en": "Value"},
    "attention_header": {"ja": "Attention の重み (図 8-20 のように)", "en": "Attention weights (like the book's figure 8-20)"},
    "attention_x": {"ja": "入力の文字", "en": "Input character"},
    "attention_y": {"ja": "出力の文字", "en": "Output character"},
    "weight": {"ja": "重み", "en": "Weight"},
    "peeky_header": {"ja": "Peeky: デコーダの全時刻が受け取るコンテキスト h", "en": "Peeky: the context h every decoder step receives"},
    "stepper_header": {"ja": "デコーダを 1 ステップずつ", "en": "The decoder, step by step"},
    "decoder_step": {"ja": "デコーダのステップ", "en": "Decoder step"},
    "attends_to": {"ja": "どこを見ているか", "en": "Where it looks"},
    "next_char": {"ja": "次の文字の候補", "en": "Next character"},
    "hidden_now": {"ja": "このステップの隠れ状態 (上位ユニット)", "en": "Hidden state at this step (top units)"},
    "map_header": {"ja": "エンコーダの地図 (500 問の最終状態の PCA)", "en": "Map of the encoder (PCA of the final state of 500 questions)"},
    "colour_by": {"ja": "色分け", "en": "Colour by"},
    "pc": {"ja": "第 {n} 主成分 ({pct} の分散)", "en": "component {n} ({pct} of variance)"},
    "typed": {"ja": "入力した質問", "en": "your question"},
    "model_answer": {"ja": "モデルの答え", "en": "Model's answer"},
    "neuron_header": {"ja": "ユニットを 1 つ選んで見る (LSTMVis のように)", "en": "One unit across 10 questions (as in LSTMVis)"},
    "neuron_unit": {"ja": "エンコーダのユニット", "en": "Encoder unit"},
    "neuron_note": {"ja": "文字の色: その文字を読んだ直後のユニットの値 (青 = 負、橙 = 正)。",
                    "en": "Colour of each character: the unit's value just after reading it (blue negative, orange positive)."},
    # Inside: interventions (issue 20)
    "iv_header": {"ja": "介入: 中の値を変えて、もう一度答えさせる", "en": "Intervene: change something inside, answer again"},
    "iv_intro": {"ja": "ユニット・ゲート・コンテキスト・Attention のどれかを書き換えて同じ質問をもう一度デコードし、"
                       "変えないときの答えと並べます。",
                 "en": "Change units, a gate, the context or the attention, decode the same question again, and see "
                       "the answer next to the unchanged one."},
    "iv_transformer": {"ja": "介入は再帰型のモデル (素朴・Peeky・Attention) のためのもので、Transformer にはありません。",
                       "en": "Interventions are for the recurrent models (plain, Peeky, attention), not for the "
                             "Transformer."},
    "iv_kind": {"ja": "変えるもの", "en": "What to change"},
    "iv_kind_units": {"ja": "ユニット", "en": "Units"},
    "iv_kind_gate": {"ja": "ゲート", "en": "A gate"},
    "iv_kind_peek": {"ja": "Peeky のコンテキストを断つ", "en": "Cut the Peeky context"},
    "iv_kind_handover": {"ja": "別の質問の最終状態を渡す", "en": "Hand over another question's state"},
    "iv_kind_attention": {"ja": "Attention の重み", "en": "Attention weights"},
    "iv_pick": {"ja": "変えるものを選ぶと、変えたときの答えが変えないときの答えの横に出ます。",
                "en": "Pick what to change: the answer with the change then appears next to the unchanged one."},
    "iv_side": {"ja": "どこで", "en": "Where"},
    "iv_state": {"ja": "状態", "en": "State"},
    "iv_value_mode": {"ja": "値", "en": "Set to"},
    "iv_value_zero": {"ja": "0 にする", "en": "zero"},
    "iv_value_clamp": {"ja": "数に固定", "en": "a number"},
    "iv_value": {"ja": "固定する値", "en": "Value to clamp to"},
    "iv_value_help": {"ja": "h は tanh なので -1 から 1 の間、c に上限はありません。",
                      "en": "h comes from tanh, so it lies between -1 and 1; c has no bound."},
    "iv_gate": {"ja": "ゲート", "en": "Gate"},
    "iv_gate_value": {"ja": "どう保つか", "en": "Hold it"},
    "iv_gate_open": {"ja": "開けたまま (1)", "en": "open (1)"},
    "iv_gate_shut": {"ja": "閉じたまま (0)", "en": "shut (0)"},
    "iv_units": {"ja": "ユニット (空欄: すべて)", "en": "Units (empty: all)"},
    "iv_units_placeholder": {"ja": "例: 3, 17, 40-45", "en": "e.g. 3, 17, 40-45"},
    "iv_units_help": {"ja": "番号と範囲をカンマで区切ります。例: 3, 17, 40-45 (ユニットは 0-{last})。空欄はすべてのユニット。",
                      "en": "Numbers and ranges separated by commas, e.g. 3, 17, 40-45 (units 0-{last}). Empty: "
                            "every unit."},
    "iv_units_err_token": {"ja": "ユニットの指定「{token}」を読めません。3 や 40-45 のように数か範囲で書いてください。",
                           "en": "The unit list has '{token}', which is neither a number nor a range such as 40-45."},
    "iv_units_err_range": {"ja": "ユニット {u} はありません。このモデルのユニットは 0-{last} です。",
                           "en": "There is no unit {u}: this model has units 0-{last}."},
    "iv_units_err_backwards": {"ja": "範囲「{token}」が逆向きです。小さい方を先に書いてください。",
                               "en": "The range '{token}' runs backwards: write the smaller number first."},
    "iv_steps": {"ja": "時刻 (文字)", "en": "Time steps (characters)"},
    "iv_steps_all": {"ja": "選ばなければ全時刻", "en": "none chosen: every step"},
    "iv_peek_note": {"ja": "Peeky デコーダは毎ステップ、エンコーダの h の代わりに 0 をのぞき見ます "
                           "(最初の状態はいつもどおり h です)。",
                     "en": "At every step the Peeky decoder peeks at zeros instead of the encoder's h (it still "
                           "starts from h)."},
    "iv_other": {"ja": "別の質問", "en": "Another question"},
    "iv_other_help": {"ja": "この質問を読んだエンコーダの最終状態を、いまの質問の代わりにデコーダへ渡します。",
                      "en": "The encoder's final state after reading this question goes to the decoder in place of "
                            "the typed question's."},
    "iv_other_bad": {"ja": "別の質問: {why}", "en": "The other question: {why}"},
    "iv_handover_note": {"ja": "デコーダは別の質問の h から始めます (Peeky ならのぞき見るのもその h です)。",
                         "en": "The decoder starts from the other question's h (a Peeky decoder also peeks at it)."},
    "iv_handover_note_att": {"ja": "デコーダは別の質問の h から始めます。Attention が読むのは、最後の 1 つを除き、"
                                   "いまの質問の状態のままです。",
                             "en": "The decoder starts from the other question's h; attention still reads the typed "
                                   "question's states, all but the last."},
    "iv_att_step": {"ja": "デコーダのステップ: 文字", "en": "Decoder step: character"},
    "iv_att_to": {"ja": "見る場所", "en": "Look at"},
    "iv_att_uniform": {"ja": "すべてを均等に", "en": "everywhere equally (uniform)"},
    "iv_att_help": {"ja": "エンコーダが読む順の位置: 文字 (入力反転なら逆順)。そのステップの重みをすべてそこに置きます。",
                    "en": "Positions as the encoder reads the question (reversed if the model reverses): all of "
                          "that step's weight goes there."},
    "iv_bad": {"ja": "この変更はこのモデルに合いません: {why}", "en": "This change does not fit the model: {why}"},
    "iv_unchanged": {"ja": "変えないとき", "en": "Unchanged"},
    "iv_changed_run": {"ja": "変えたとき", "en": "With the change"},
    "iv_run": {"ja": "実行", "en": "Run"},
    "iv_diff": {"ja": "変わった文字 ({mark}、太字と下線): {where}。", "en": "Changed characters ({mark}, bold and "
                                                                         "underlined): {where}."},
    "iv_diff_one": {"ja": "ステップ {n}: {a} → {b}", "en": "step {n}: {a} → {b}"},
    "iv_same": {"ja": "答えは変わりませんでした (確率は変わったかもしれません: 下の表)。",
                "en": "The answer did not change (its probabilities may have: see the table)."},
    "iv_probs": {"ja": "各ステップの文字と確率", "en": "Each step's character and its probability"},
    "iv_col_step": {"ja": "ステップ", "en": "Step"},
    "iv_col_changed": {"ja": "変化", "en": "Changed"},
    "iv_yes": {"ja": "変わった", "en": "changed"},
    "iv_att_row": {"ja": "ステップ {n} ({c}) の Attention: 変えないときと変えたとき",
                   "en": "Attention of step {n} ({c}): unchanged and changed"},
    "iv_att_alt": {"ja": "ステップ {n} の Attention の重み。変えないとき: {before}。変えたとき: {after}。",
                   "en": "Attention weights of step {n}. Unchanged: {before}. With the change: {after}."},
    # Compare page
    "nav_compare": {"ja": "比べる", "en": "Compare"},
    # Lessons page
    "nav_lessons": {"ja": "授業", "en": "Lessons"},
    "lessons_title": {"ja": "本に沿った授業", "en": "Lessons that follow the book"},
    "lessons_intro": {"ja": "各ステップに短い説明とクラスへの問いがあります。「準備する」で必要なページを開き、設定"
                            "(シードは 0 に固定) を入れます。発表モードは右の「発表モード」をオンにします (アドレスに "
                            "present=1 と言語が入り、ブックマークでもそのまま。アドレスに &present=1 を足しても同じ)。",
                      "en": "Each step has a short explanation and a question for the class. 'Set up' opens the page "
                            "it needs with its settings (seed fixed to 0). For the presentation mode turn on "
                            "'Presentation mode' on the right (the address then holds present=1 and the language, "
                            "so a bookmark keeps them; adding &present=1 to the address does the same)."},
    "lesson": {"ja": "授業", "en": "Lesson"},
    "lesson_ask": {"ja": "クラスへの問い:", "en": "Ask the class:"},
    "lesson_set_up": {"ja": "準備して「{page}」を開く", "en": "Set up and open {page}"},
    "lesson_set_up_help": {"ja": "このセッションの学習中のモデルは、このステップの新しいモデルに置き換わります。",
                           "en": "This session's model in training is replaced by a fresh one for this step."},
    "lesson_fallback": {"ja": "間に合わないときは学習済みモデルで", "en": "Running late: use a model trained this way"},
    "lesson_fallback_help": {"ja": "学習を待たずに、このステップと同じ設定で学習済みの同梱モデル (正解率はこのステップで見えるはずのもの) で「試す」ページを開きます。",
                             "en": "Open Try with a shipped model trained with this step's settings (its accuracy is what the step would show) instead of waiting for training."},
    "lesson_prev": {"ja": "前へ", "en": "Previous"},
    "lesson_next": {"ja": "次へ", "en": "Next"},
    "model_addition_book_baseline": {"ja": "同梱: 素の seq2seq (本の設定で 25 エポック)", "en": "shipped: plain seq2seq (the book's settings, 25 epochs)"},
    "model_addition_book_reversed": {"ja": "同梱: 入力反転 (本の設定で 25 エポック)", "en": "shipped: reversed input (the book's settings, 25 epochs)"},
    "model_addition_book_peeky": {"ja": "同梱: Peeky + 入力反転 (本の設定で 25 エポック)", "en": "shipped: Peeky + reversed (the book's settings, 25 epochs)"},
    "model_addition_gru": {"ja": "同梱: GRU の Peeky + 入力反転 (10 エポック)", "en": "shipped: Peeky + reversed with a GRU (10 epochs)"},
    "model_addition_transformer": {"ja": "同梱: Transformer (10 エポック)", "en": "shipped: Transformer (10 epochs)"},
    "model_date_gru": {"ja": "同梱: GRU の Attention (2 エポック)", "en": "shipped: attention with a GRU (2 epochs)"},
    "model_date_transformer": {"ja": "同梱: Transformer (2 エポック)", "en": "shipped: Transformer (2 epochs)"},
    "lesson_progress": {"ja": "ステップ {k} / {n}", "en": "Step {k} of {n}"},
    "lesson_minutes_short": {"ja": "待ち時間 約 {m} 分 (全体 {total} 分)", "en": "waiting ≈ {m} min (lesson {total} min)"},
    "lesson_minutes": {"ja": "待ち時間: このステップ約 {m} 分、授業全体で約 {total} 分 (2 コアのマシン、話し合いの時間は別)", "en": "Waiting time: about {m} min for this step, {total} min for the whole lesson (2-core machine; discussion not included)"},
    "lesson_all": {"ja": "この授業のすべてのステップ", "en": "All steps of this lesson"},
    "lesson_back": {"ja": "授業に戻る", "en": "Back to the lesson"},
    # presentation navigation
    "present_mode": {"ja": "発表モード", "en": "Presentation mode"},
    "present_mode_help": {"ja": "文字を 125 % にしてサイドバーを隠し、各ページの上に授業・各ページへのリンクと言語の切り替えを"
                                "出します。アドレスに present=1 と言語が入るので、ブックマークや再読み込みでもそのままです。",
                          "en": "125 % type, no sidebar, and above every page links to the lesson and to each page "
                                "and the language switch. The address then holds present=1 and the language, so a "
                                "bookmark or a reload keeps them."},
    # Errors page
    "nav_errors": {"ja": "間違いを調べる", "en": "Errors"},
    "errors_title": {"ja": "モデルはどこで間違えるか", "en": "Where the model goes wrong"},
    "errors_intro": {"ja": "学習に使っていない {n} 問で、問題の難しさごとの正解率を調べます。"
                           "完全一致 (答え全体) と文字ごとの正解率を並べて表示します。",
                     "en": "Accuracy on {n} questions never trained on, broken down by what makes a question "
                           "hard: whole answers right and characters right, side by side."},
    "errors_count": {"ja": "間違えた問題", "en": "Wrong answers"},
    "errors_by": {"ja": "{what}ごとの正解率", "en": "Accuracy by {what}"},
    "errors_n": {"ja": "問題数", "en": "questions"},
    "errors_grid": {"ja": "a と b の最上位の数字ごとの正解率 (完全一致)",
                    "en": "Accuracy by the first digit of a and of b (whole answers)"},
    "errors_first_a": {"ja": "a の最上位の数字", "en": "first digit of a"},
    "errors_first_b": {"ja": "b の最上位の数字", "en": "first digit of b"},
    "errors_worst": {"ja": "最も悪い {n} 問", "en": "The {n} worst questions"},
    "errors_loss": {"ja": "損失", "en": "Loss"},
    "errors_loss_help": {"ja": "間違えた問題が先、それぞれ損失 (正解の 1 文字あたりの負の対数尤度) の大きい順。",
                         "en": "Wrong answers first, each part by loss (the true answer's negative "
                               "log-likelihood per character), largest first."},
    # Errors: beyond the training range (issue 20)
    "beyond_title": {"ja": "学習した範囲の外", "en": "Beyond the training range"},
    "beyond_intro_addition": {
        "ja": "長い方の数が 1〜{top} 桁の新しい問題を、桁数ごとに {n} 問 (1 桁どうしは全 100 問) 解かせます。モデルが学習したのは "
              "{max} 桁まで (網掛け)。入力幅に収まらない長い問題はその長さのまま読ませ、答えは和全体が合ったときだけ正解です。",
        "en": "New questions whose longer number has 1 to {top} digits, {n} per length (one-digit pairs: all 100). The "
              "model learned up to {max} digits (shaded). Questions too long for its input width are read at their "
              "own length; an answer counts only if it is the whole sum."},
    "beyond_intro_date": {
        "ja": "学習した年 ({lo}〜{hi}、網掛け) の前後の世紀の日付を、範囲ごとに {n} 問解かせます。年を 4 桁で書く形だけを使います "
              "(M/D/YY の 2 桁の年は 1969〜2068 の外では年が決まらないため除外)。「月と日が正しい」は年を問いません。",
        "en": "Dates in the centuries around the years the model learned ({lo}-{hi}, shaded), {n} per range, in the "
              "forms that write the year with four digits (M/D/YY is left out: outside 1969-2068 its two-digit year "
              "names no one year). 'Month and day right' ignores the year."},
    "beyond_compare_addition": {"ja": "同梱の素の seq2seq・入力反転・Peeky + 入力反転・Attention を並べる",
                                "en": "Side by side: the shipped plain, reversed, Peeky + reversed and attention models"},
    "beyond_compare_date": {"ja": "同梱の日付モデルを並べる", "en": "Side by side: the shipped date models"},
    "beyond_compute": {"ja": "範囲外の問題を解かせる", "en": "Ask the questions beyond the training range"},
    "beyond_compute_help": {"ja": "1 モデルあたり約 1 秒 (1 コア) かかるので、押したときに計算します。",
                            "en": "About a second per model on one core, so it is computed when asked."},
    "beyond_digits": {"ja": "長い方の数の桁数", "en": "digits of the longer number"},
    "beyond_years": {"ja": "年", "en": "years"},
    "beyond_band": {"ja": "学習した範囲", "en": "training range"},
    "beyond_model": {"ja": "モデル", "en": "Model"},
    "beyond_inside": {"ja": "学習範囲内", "en": "inside training"},
    "beyond_yes": {"ja": "はい", "en": "yes"},
    "beyond_no": {"ja": "いいえ", "en": "no"},
    "beyond_month_day": {"ja": "月と日が正しい", "en": "month and day right"},
    "beyond_grid": {"ja": "{model}: a の桁数 (行) と b の桁数 (列) ごとの完全一致 (問題数)",
                    "en": "{model}: whole answers right by the digits of a (rows) and of b (columns) (questions)"},
    "beyond_alt": {"ja": "{what} ({by}ごと、完全一致): {items}", "en": "{what} by {by} (whole answers): {items}"},
    "model_addition_attention": {"ja": "同梱: Attention + 入力反転 (25 エポック)",
                                 "en": "shipped: attention + reversed (25 epochs)"},
    "compare_title": {"ja": "本の改良を並べて学習させる", "en": "Race the book's variants"},
    "compare_intro": {
        "ja": "同じデータ・同じシードで各モデルを 1 バッチずつ交互に学習させ、正解率の伸び方を比べます。点線は本の最終正解率 (図から読んだ概数) です。",
        "en": "Each model trains on the same data with the same seed, one batch each in turn, so you can compare how fast they learn. Dotted lines: the book's final accuracies (approximate, read off its figures).",
    },
    "budget": {"ja": "時間の上限 (秒、各モデル)", "en": "Time budget (seconds per model)"},
    "variant": {"ja": "モデル", "en": "Model"},
    "variant_baseline": {"ja": "素の seq2seq", "en": "plain seq2seq"},
    "variant_reversed": {"ja": "入力反転", "en": "reversed input"},
    "variant_peeky_reversed": {"ja": "Peeky + 入力反転", "en": "Peeky + reversed"},
    "variant_attention": {"ja": "Attention", "en": "attention"},
    "model_compare": {"ja": "比較: {name}", "en": "Comparison: {name}"},
    "compare_acc_chart": {"ja": "検証正解率 (完全一致)", "en": "Held-out accuracy (exact match)"},
    "compare_loss_chart": {"ja": "損失 (平滑化)", "en": "Loss (smoothed)"},
    "results": {"ja": "結果", "en": "Results"},
    "final_acc": {"ja": "最終正解率", "en": "Final accuracy"},
    "best_acc": {"ja": "最高正解率", "en": "Best accuracy"},
    "book_acc": {"ja": "本 (概数)", "en": "The book (approx.)"},
    "train_time": {"ja": "学習時間 (秒)", "en": "Training time (s)"},
    "parameters": {"ja": "パラメータ数", "en": "Parameters"},
    "open_inside": {"ja": "中を見る: {name}", "en": "Look inside: {name}"},
    "compare_none": {"ja": "「開始」を押すと比較が始まります。", "en": "Press Start to begin the race."},
    "data_note_addition": {"ja": "データは本の addition.txt と同じ種類: 重複のない問題で、桁数の割合も本と同じ (両方 3 桁が 25%、3 桁と 2 桁が 48%、1 桁どうしは 0.1%)。検証用の問題は学習に一度も出てきません。", "en": "Data like the book's addition.txt: distinct questions with the book's mix of digit counts (both numbers three-digit 25 %, three and two digits 48 %, two one-digit numbers 0.1 %). Held-out questions are never trained on."},
    # races (Compare)
    "race": {"ja": "レース", "en": "Race"},
    "race_lesson": {"ja": "授業用 (短い)", "en": "Lesson (short)"},
    "race_book": {"ja": "本の設定のまま", "en": "The book's settings"},
    "race_beyond": {"ja": "8 章の先へ: LSTM・GRU・Transformer", "en": "Beyond chapter 8: LSTM, GRU, Transformer"},
    "race_note_beyond": {"ja": "8.5.3 節の先へ: 本の LSTM の Attention、同じものを GRU (付録 C) で、そして Transformer "
                                 "(1 層、ヘッド 4、幅 64、学習率 0.002) を、同じデータと乱数の種で {epochs} エポック。"
                                 "2 コアのマシンでひとりで学習させると約 {minutes} 分です。",
                         "en": "Beyond section 8.5.3: the book's LSTM with attention, the same with a GRU (appendix C), "
                               "and a Transformer (1 layer, 4 heads, 64 wide, learning rate 0.002), on the same data "
                               "and seed for {epochs} epochs: about {minutes} min on a 2-core machine with nobody "
                               "else training."},
    "variant_attention_gru": {"ja": "Attention (GRU)", "en": "attention (GRU)"},
    "variant_transformer": {"ja": "Transformer", "en": "Transformer"},
    "race_note_lesson": {"ja": "授業用: 本と同じ設定で {epochs} エポックまで。2 コアのマシンでひとりで学習させると約 {minutes} 分です。点線は本の最終正解率です。", "en": "Lesson race: the book's settings, stopped after {epochs} epochs. About {minutes} min on a 2-core machine with nobody else training. Dotted lines: the book's final accuracies."},
    "race_note_book": {"ja": "本の設定で {epochs} エポック。2 コアのマシンでひとりで学習させると約 {minutes} 分かかります。", "en": "The book's settings for {epochs} epochs: about {minutes} min on a 2-core machine with nobody else training."},
    "race_note_custom": {"ja": "設定を変えたレースです (所要時間は測っていません)。", "en": "Custom settings (duration not measured)."},
    "prop_sum": {"ja": "和", "en": "sum"},
    "prop_carries": {"ja": "繰り上がりの回数", "en": "number of carries"},
    "prop_digits": {"ja": "桁数 (a+b)", "en": "digits (a+b)"},
    "prop_answer_length": {"ja": "答えの長さ", "en": "answer length"},
    "prop_digits_a": {"ja": "a の桁数", "en": "digits of a"},
    "prop_digits_b": {"ja": "b の桁数", "en": "digits of b"},
    "prop_format": {"ja": "書き方", "en": "written form"},
    "prop_month": {"ja": "月", "en": "month"},
    "prop_year": {"ja": "年", "en": "year"},
    "prop_length": {"ja": "長さ", "en": "length"},
    "prop_first": {"ja": "最初の文字", "en": "first letter"},
    "prop_smallest": {"ja": "最小の数字", "en": "smallest digit"},
    # Inside: ablation scan (issue 20)
    "abl_header": {"ja": "どのユニットが効いているか (アブレーション)", "en": "Which units matter (ablation scan)"},
    "abl_intro": {"ja": "ユニットを 1 つずつ、すべての時刻で 0 にして (h を消す)、{n} 問の未学習の問題を解かせ直します。"
                        "正解率がどれだけ下がったか (コスト) でユニットを並べます。",
                  "en": "Each unit in turn is silenced (its hidden state h set to 0 at every step) and the model "
                        "answers {n} held-out questions again; units are ranked by the exact-match accuracy they "
                        "cost."},
    "abl_side": {"ja": "調べる側", "en": "Side to scan"},
    "abl_side_encoder": {"ja": "エンコーダ", "en": "Encoder"},
    "abl_side_decoder": {"ja": "デコーダ", "en": "Decoder"},
    "abl_scan": {"ja": "ユニットを調べる ({what})", "en": "Scan units ({what})"},
    "abl_wait": {"ja": "すべての問題を {units} 回解き直すので、数秒から 1 分ほどかかります (長い問題ほど長く)。",
                 "en": "Every question is decoded {units} more times: seconds to a minute (longer questions take "
                       "longer)."},
    "abl_progress": {"ja": "ユニット {done} / {total} を 0 にしました", "en": "Silenced unit {done} of {total}"},
    "abl_transformer": {"ja": "Transformer には LSTM や GRU のユニットがないので、この調べ方は使えません。",
                        "en": "A Transformer has no LSTM or GRU units, so this scan does not apply to it."},
    "abl_no_data": {"ja": "調べる問題がありません (アップロードしたデータで学習すると使えます)。",
                    "en": "No held-out questions to scan (train on uploaded data first)."},
    "abl_for": {"ja": "どの問題で", "en": "Questions"},
    "abl_all": {"ja": "すべての問題", "en": "all questions"},
    "abl_value": {"ja": "値", "en": "Value"},
    "abl_value_n": {"ja": "{value} ({n} 問)", "en": "{value} ({n} questions)"},
    "abl_chart_title": {"ja": "{side}のユニット上位 {k}", "en": "Top {k} {side} units"},
    "abl_chart_subtitle": {"ja": "それぞれを 0 にしたときに下がる正解率", "en": "accuracy lost when each is zeroed"},
    "abl_side_name_encoder": {"ja": "エンコーダ", "en": "encoder"},
    "abl_side_name_decoder": {"ja": "デコーダ", "en": "decoder"},
    "abl_cost": {"ja": "下がった正解率 (ポイント)", "en": "accuracy lost (points)"},
    "abl_without": {"ja": "0 にしたときの正解率", "en": "accuracy without it"},
    "abl_unit": {"ja": "ユニット", "en": "unit"},
    "abl_base": {"ja": "全ユニットでの正解率: {n} 問中 {base}{which}", "en": "Accuracy with every unit: {base} of {n} "
                 "questions{which}"},
    "abl_alt": {"ja": "{what}。コストの大きい順に: {items}", "en": "{what}. Most costly first: {items}"},
    "abl_open": {"ja": "上位のユニットを「ユニットを 1 つ選んで見る」で開く:", "en": "Open a top unit in the "
                 "one-unit view above:"},
    "abl_open_unit": {"ja": "#{unit} を見る", "en": "Show #{unit}"},
    "abl_opened": {"ja": "上の「ユニットを 1 つ選んで見る」にユニット #{unit} を表示しています。",
                   "en": "Unit #{unit} is now shown in the one-unit view above."},
    "abl_by_value": {"ja": "上位 {k} ユニットのコストを{prop}の値ごとに見る", "en": "The top {k} units' cost for "
                     "each value of {prop}"},
    "abl_by_value_alt": {"ja": "ユニット × {prop}の値ごとのコストのヒートマップ。各ユニットが最も効く値: {items}",
                         "en": "Heatmap of each unit's cost for each value of {prop}. Where each matters most: "
                               "{items}"},
    "abl_decoder_note": {"ja": "ユニットを 1 つ選んで見る表示はエンコーダのユニットだけを扱います。",
                         "en": "The one-unit view above follows encoder units only."},
}


def lang() -> str:
    """The current language code."""
    value = st.session_state.get("lang", "ja")
    return value if value in LANGS else "ja"


def t(key: str, **kwargs) -> str:
    """The text for key in the current language, formatted with kwargs."""
    text = TEXTS[key][lang()]
    return text.format(**kwargs) if kwargs else text


def labels(keys, prefix: str) -> Callable[[str], str | None]:
    """format_func for a select box: the texts of prefix + key, looked up now (not when the widget
    is read back, when no page is running)."""
    return {k: t(prefix + k) for k in keys}.get


def language_switch(where=None) -> None:
    """The 日本語/English switch: two buttons (Tab reaches each, Enter or Space switches; a radio or a segmented
    control needs the arrow keys), in the sidebar, or, given a container `where` (presentation mode hides the
    sidebar), a compact pair there (container key ``lang_bar``). The chosen one is marked ✓ and says so to a screen
    reader; the buttons are never disabled, so focus stays on the one pressed. The choice lasts for the session
    (a plain session value, which st.switch_page keeps); ui.style.keep_in_url puts it in the address."""
    ss = st.session_state
    init_lang()
    ss["_lang"] = lang()
    box = (where if where is not None else st.sidebar).container(
        key="lang_bar" if where is not None else "lang_side", horizontal=True, gap="small", width="content")
    prefix = "lang_bar" if where is not None else "lang"
    for code, name in LANGS.items():
        box.button(("✓ " if code == lang() else "") + name, key=f"{prefix}_{code}", on_click=_set_lang, args=(code,),
                   type="tertiary" if where is not None else "secondary")


def init_lang() -> None:
    """The session's language from the address (?lang=en) on its first run, else Japanese; run before anything
    reads lang() (ui.style.apply sets <html lang> from it)."""
    ss = st.session_state
    if "lang" not in ss:
        q = st.query_params.get("lang")
        ss["lang"] = ss.get("_lang") or (q if q in LANGS else "ja")


def _set_lang(code: str) -> None:
    ss = st.session_state
    ss["lang"] = ss["_lang"] = code
    for key in TRANSLATED_CHOICES:
        if key in ss:
            ss[key] = ss[key]
