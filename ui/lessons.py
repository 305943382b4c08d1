"""Guided lessons that follow the book: chapter 7 (plain Seq2seq on addition, reversed input, Peeky),
chapter 8 (attention on dates, then Japanese dates) and what comes after it (the GRU, the Transformer).
Each step: a short explanation, a question
for the class, and what "Set up" does (the page it opens and the settings it puts there).

Texts are here rather than in ui.i18n because they are long and belong together; both languages
sit side by side so a teacher can check one against the other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One step of a lesson."""

    title: dict[str, str]
    text: dict[str, str]
    ask: dict[str, str]  # the question for the class
    page: str  # try, train, compare, inside, errors
    task: str
    preset: str = ""  # Train: the preset to load (its seed fixed to 0)
    race: str = "lesson"  # Compare: the race (s2s.presets.RACES of the task)
    source: str = ""  # Try / Inside: the model to pick ("session": the one just trained; "": the shipped one)
    query: str = ""  # Try / Inside: the question typed in
    history: bool = False  # Train: open the answer history
    # the machine's time for the step (setting up, training or racing until its point shows) on a 2-core
    # machine, rounded up from benchmarks/lesson_walk.py; the class's discussion comes on top
    minutes: float = 1.0
    # Train steps: the shipped model (ui.state.SHIPPED) to go on with when training runs late, trained the
    # step's way: the class sees what the step would have shown
    fallback: str = ""
    # Inside steps: the intervention (a preset of ui.intervene_view.PRESETS) the page opens with ("": none)
    intervention: str = ""


@dataclass(frozen=True)
class Lesson:
    """A sequence of steps."""

    key: str
    title: dict[str, str]
    steps: tuple[Step, ...]


CHAPTER_7 = Lesson("ch7", {"ja": "第 7 章: 足し算を文字として学ぶ", "en": "Chapter 7: learning addition as text"}, (
    Step(
        {"ja": "1. 足し算を「翻訳」として解く", "en": "1. Addition as translation"},
        {"ja": "モデルは数を知りません。`16+75` という 5 文字を読み、`91` という文字を 1 つずつ書きます。"
               "エンコーダが問題を読み、最後の隠れ状態 h だけをデコーダに渡します。",
         "en": "The model does not know numbers. It reads the five characters `16+75` and writes the characters "
               "`91` one at a time. The encoder reads the question and hands only its last hidden state h to "
               "the decoder."},
        {"ja": "h はたった 128 個の数です。問題の情報はすべてそこに収まるでしょうか？",
         "en": "h is just 128 numbers. Can everything about the question fit in it?"},
        "try", "addition", query="16+75", minutes=0.5),
    Step(
        {"ja": "2. そのままの Seq2seq はうまくいかない", "en": "2. Plain Seq2seq struggles"},
        {"ja": "本の設定 (隠れ層 128、Adam 0.001、25 エポック) と本と同じ種類のデータ (重複のない 45,000 問、"
               "ほとんどが 3 桁) で素朴な Seq2seq を学習させます。本と同じく、検証データの正解率は 10 エポックで"
               "約 5%、25 エポックでも約 10% にとどまります。Start を押し、損失と正解率を見ましょう。",
         "en": "Train the plain Seq2seq with the book's settings (hidden 128, Adam 0.001, 25 epochs) on data like "
               "the book's (45,000 distinct questions, most with three-digit numbers). As in the book, held-out "
               "accuracy is about 5 % after 10 epochs and still only about 10 % after 25. Press Start and watch "
               "the loss and the accuracy."},
        {"ja": "損失は下がるのに、完全一致の正解率が上がらないのはなぜでしょう？",
         "en": "Why can the loss fall while whole-answer accuracy hardly rises?"},
        "train", "addition", preset="book_baseline", minutes=1.0, fallback="addition_book_baseline"),
    Step(
        {"ja": "3. 入力を反転する (7.5.1 節)", "en": "3. Reverse the input (section 7.5.1)"},
        {"ja": "問題を逆順に読ませるだけで、10 エポックで約 20%、25 エポックで本と同じ約 50% まで上がります。"
               "答えの最初の文字と、それを決める問題の文字が近くなるからです。",
         "en": "Just reading the question backwards lifts accuracy to about 20 % after 10 epochs and, as in the "
               "book, about 50 % after 25: the first characters of the answer come closer to the characters of "
               "the question that decide them."},
        {"ja": "`16+75` を逆にすると `57+61` 。答えの 1 文字目を決めるのは問題のどの文字ですか？",
         "en": "Reversed, `16+75` reads `57+61`. Which characters of the question decide the first character "
               "of the answer?"},
        "train", "addition", preset="book_reversed", minutes=1.0, fallback="addition_book_reversed"),
    Step(
        {"ja": "4. Peeky デコーダ (7.5.2 節)", "en": "4. The Peeky decoder (section 7.5.2)"},
        {"ja": "Peeky ではデコーダの毎ステップに h を「のぞき見」させます。正解率は 13 エポックほどで 95% を超え、"
               "その後はエポックごとに数ポイント上下しながら、本と同じく 99% 近くまで届きます。"
               "学習が授業に間に合わないときは、同じ設定で学習済みのモデルで続けられます。",
         "en": "Peeky lets every decoder step 'peek' at h. Accuracy passes 95 % after about 13 epochs, then moves "
               "a few points up and down from epoch to epoch and, as in the book, gets close to 99 %. If "
               "training runs late in class, go on with a model trained the same way."},
        {"ja": "h を最初のステップにしか渡さないと、後のステップで何が起きるでしょう？",
         "en": "If h reaches only the first step, what happens at the later steps?"},
        "train", "addition", preset="book_peeky", minutes=1.0, fallback="addition_book_peeky"),
    Step(
        {"ja": "5. のぞき見を断つ", "en": "5. Cut the peek"},
        {"ja": "同梱の Peeky モデルの中で、デコーダが毎ステップのぞき見る h を 0 に置き換えます (最初の状態は h の"
               "まま)。「介入」の欄で、`16+75` の答えが `91` から `99` に変わります: 最初の状態から書く 1 文字目は"
               "正しいままで、のぞき見が必要だった 2 文字目が間違います。",
         "en": "Inside the shipped Peeky model, the h the decoder peeks at every step is replaced by zeros (it still "
               "starts from h). Under 'Intervene', `16+75` is answered `99` instead of `91`: the first character, "
               "written from the starting state, stays right; the second, for which the decoder needed its peek, "
               "goes wrong."},
        {"ja": "1 文字目は正しいままで 2 文字目が間違うのはなぜでしょう？素朴な Seq2seq が苦手だった理由と"
               "関係がありますか？",
         "en": "Why does the first character survive and the second fail? Is it related to why the plain Seq2seq "
               "struggled?"},
        "inside", "addition", query="16+75", intervention="peek_cut", minutes=0.5),
    Step(
        {"ja": "6. 3 つを同時に比べる", "en": "6. All three side by side"},
        {"ja": "同じデータ・同じシードで 3 つのモデルを交互に学習させ、本と同じ比較をします (授業用のレース: "
               "本の設定で 15 エポック、約 3 分半。2 分ほどで順位がはっきりします)。終わるころには"
               "素朴なモデルが約 5%、反転が約 30%、"
               "Peeky が約 95% です。"
               "点線は本の最終的な正解率です。",
         "en": "Train the three models on the same data and seed, in turns, as the book compares them (the lesson "
               "race: the book's settings for 15 epochs, about 3½ minutes; the order is clear after about 2). "
               "By its end plain is at about 5 %, "
               "reversed at about 30 % and Peeky at about 95 %. The dotted lines are the book's final accuracies."},
        {"ja": "どのモデルが最初に 50% を超えるでしょう？予想してから Start を押しましょう。",
         "en": "Which model passes 50 % first? Guess, then press Start."},
        "compare", "addition", minutes=3.0),
    Step(
        {"ja": "7. どこで間違えるか", "en": "7. Where it goes wrong"},
        {"ja": "繰り上がりの回数や桁数ごとの正解率を見ると、モデルが苦手な問題がわかります。"
               "学習中のモデルを選ぶと、途中のモデルの弱点が見えます。",
         "en": "Accuracy by the number of carries and by digits shows which questions are hard for the model. "
               "Pick the model being trained to see the weak spots of a half-trained one."},
        {"ja": "繰り上がりが多いほど難しいのはなぜでしょう？",
         "en": "Why are questions with more carries harder?"},
        "errors", "addition", minutes=0.5),
))

CHAPTER_8 = Lesson("ch8", {"ja": "第 8 章: Attention で日付をそろえる", "en": "Chapter 8: attention on dates"}, (
    Step(
        {"ja": "1. いろいろな書き方の日付", "en": "1. Dates written many ways"},
        {"ja": "`September 27, 1994`、`9/27/94`、`TUESDAY, SEPTEMBER 27, 1994` をすべて `1994-09-27` に"
               "書き換えます。答えの各文字は、問題の決まった場所の文字と対応しています。",
         "en": "`September 27, 1994`, `9/27/94` and `TUESDAY, SEPTEMBER 27, 1994` all become `1994-09-27`. "
               "Each character of the answer corresponds to characters at a particular place in the question."},
        {"ja": "答えの `09` を書くとき、モデルは問題のどこを見るべきでしょう？",
         "en": "When the model writes `09`, where in the question should it look?"},
        "try", "date", query="September 27, 1994", minutes=0.5),
    Step(
        {"ja": "2. Attention を学習させる", "en": "2. Train the attention model"},
        {"ja": "Attention 付きのモデルを学習させます。1 エポック半ほど (約 500 イテレーション、30 秒ほど) は"
               "ほぼ 0% のままで、そこから一気に 99% を超えます。下の「答えができていく様子」で、学習中にも"
               "Attention の対角線が現れる瞬間をさかのぼって見られます。",
         "en": "Train the attention model: for about an epoch and a half (some 500 iterations, about half a minute) "
               "accuracy stays near 0 %, then it jumps past 99 %. Below, 'how the answers formed' lets you scrub "
               "back, while it trains, to the moment the diagonal of attention appears."},
        {"ja": "Attention の模様は、正解率が上がる前に現れるでしょうか、後でしょうか？",
         "en": "Does the attention pattern appear before accuracy rises, or after?"},
        "train", "date", preset="default", history=True, minutes=1.0),
    Step(
        {"ja": "3. Attention の重みを見る (8.3 節)", "en": "3. Look at the attention weights (section 8.3)"},
        {"ja": "デコーダの各ステップが、問題のどの文字に注目したかを表示します。"
               "入力は反転して読まれているので、対角線は逆向きに見えます。",
         "en": "Each decoder step and the question characters it attended to. The input is read reversed, so "
               "the diagonal runs the other way."},
        {"ja": "月の名前を書くとき、モデルはどの文字を見ていますか？",
         "en": "When writing the month, which characters does the model look at?"},
        "inside", "date", query="TUESDAY, SEPTEMBER 27, 1994", minutes=0.5),
    Step(
        {"ja": "4. Attention を間違った文字に向ける", "en": "4. Point attention at the wrong character"},
        {"ja": "`2/10/04` の答えは `2004-02-10` です。年の最後の文字 `4` を書くステップ 4 の Attention を、問題の"
               "月の `2` にすべて向けます。「介入」の欄で、答えは `2002-02-10` に変わります: モデルは見た文字を"
               "写しています。ほかのステップはいつもの場所を見るので、月と日は正しいままです。",
         "en": "`2/10/04` is answered `2004-02-10`. At step 4, which writes the year's last character `4`, all of "
               "the attention goes to the month's `2` in the question. Under 'Intervene' the answer becomes "
               "`2002-02-10`: the model copies the character it looks at. The other steps look where they always "
               "do, so the month and the day stay right."},
        {"ja": "モデルは見た文字を写しました。では、答えの各文字の情報はどこから来ていると言えるでしょう？",
         "en": "The model wrote what it was made to look at. So where does each character of the answer get its "
               "information from?"},
        "inside", "date", query="2/10/04", intervention="attention_wrong", minutes=0.5),
    Step(
        {"ja": "5. 本と比べる", "en": "5. Compare as the book does"},
        {"ja": "同じデータで Attention なしと Attention ありを比べます (授業用のレース: 学習率 0.005 で 2 エポック、"
               "約 1 分)。30 秒ほどで Attention は 90% を超え、Attention なしはまだ 0% のままです。",
         "en": "Train without and with attention on the same data (the lesson race: learning rate 0.005 for 2 "
               "epochs, about a minute). Within half a minute attention passes 90 % while the plain model is "
               "still at 0 %."},
        {"ja": "Attention がない方が遅いのはなぜでしょう？",
         "en": "Why is the model without attention slower to learn?"},
        "compare", "date", minutes=1.0),
    Step(
        {"ja": "6. 和暦も読む", "en": "6. Japanese dates, with eras"},
        {"ja": "西暦 `2013年6月17日` と和暦 `平成25年6月17日`・`令和元年5月1日` も読むモデルです。"
               "和暦では元号と年を組み合わせて西暦の年を作らなければなりません。",
         "en": "This model also reads `2013年6月17日` and era dates such as `平成25年6月17日` and `令和元年5月1日`. "
               "For an era date it must combine the era and its year into the Western year."},
        {"ja": "`平成25年` の `2013` を書くとき、モデルはどこを見ているでしょう？「中を見る」で確かめましょう。",
         "en": "When it writes the `2013` of `平成25年`, where does it look? Check on the Inside page."},
        "try", "date_ja", query="平成25年6月17日", minutes=0.5),
))

BEYOND = Lesson("ch85", {"ja": "8.5 節の先へ: GRU と Transformer", "en": "8.5 and beyond: GRU and Transformer"}, (
    Step(
        {"ja": "1. LSTM の代わりに GRU (付録 C)", "en": "1. A GRU in place of the LSTM (appendix C)"},
        {"ja": "GRU は記憶セル c を持たず、更新ゲート z とリセットゲート r の 2 つだけで h を書き換えます。"
               "第 8 章と同じ Attention のモデルを GRU で学習させると、LSTM と同じく 2 エポックほどで 99% を超えます。",
         "en": "A GRU has no cell state c: two gates, update z and reset r, rewrite h. Train chapter 8's attention "
               "model with a GRU: like the LSTM it passes 99 % within about two epochs."},
        {"ja": "ゲートが 4 つから 2 つに減っても同じように学習できるのはなぜでしょう？",
         "en": "Why can it learn as well with two gates instead of four?"},
        "train", "date", preset="gru", minutes=1.0, fallback="date_gru"),
    Step(
        {"ja": "2. 再帰をやめる: Transformer (8.5.3 節)", "en": "2. No recurrence: the Transformer (section 8.5.3)"},
        {"ja": "Transformer には LSTM も GRU もありません。すべての文字が同時に、注意 (Attention) だけで互いを見ます。"
               "文字の順番は、埋め込みに足す位置のサイン波 (位置エンコーディング) で伝えます。"
               "1 層・ヘッド 4 つ・幅 64 のモデルは、1 エポックもしないうちに半分以上の日付を正しく書き、"
               "2 エポックで 99% 近くになります。",
         "en": "The Transformer has no LSTM and no GRU: every character looks at every other at once, through "
               "attention alone. The order of the characters comes from sine waves added to the embeddings "
               "(the position encoding). With one layer, four heads and 64 dimensions it writes more than half "
               "the dates right within an epoch, and nearly 99 % after two."},
        {"ja": "再帰がないのに、モデルは `9/27/94` の `9` が月だとどうやって知るのでしょう？",
         "en": "With no recurrence, how does the model know that the `9` of `9/27/94` is the month?"},
        "train", "date", preset="transformer", minutes=1.5, fallback="date_transformer"),
    Step(
        {"ja": "3. ヘッドごとの注意を見る", "en": "3. Every head's attention"},
        {"ja": "いま学習した Transformer の中を見ます。4 つのヘッドはそれぞれ別の場所を見ています: 答えのある文字を"
               "書くとき、あるヘッドは月を、別のヘッドは日や年を見ます (交差注意)。問題どうしの自己注意も選べます。",
         "en": "Look inside the Transformer you just trained. Its four heads look at different places: while "
               "writing a character of the answer one head looks at the month, another at the day or the year "
               "(cross-attention). The question's self-attention can be picked too."},
        {"ja": "ヘッドが 1 つだけだったら、何が難しくなるでしょう？",
         "en": "With a single head, what would be harder?"},
        "inside", "date", query="TUESDAY, SEPTEMBER 27, 1994", source="session", minutes=0.5),
    Step(
        {"ja": "4. 3 つを同時に比べる", "en": "4. The three side by side"},
        {"ja": "同じデータ・同じシードで、本の LSTM の Attention、同じものを GRU で、そして Transformer を交互に"
               "学習させます (2 エポック、約 2 分)。Transformer は最初に上がり、3 つとも最後には 95% を超えます。",
         "en": "The book's LSTM with attention, the same with a GRU, and the Transformer, trained in turns on the "
               "same data and seed (2 epochs, about 2 minutes). The Transformer rises first; by the end all three "
               "are past 95 %."},
        {"ja": "どれが最初に 50% を超えるでしょう？予想してから Start を押しましょう。",
         "en": "Which passes 50 % first? Guess, then press Start."},
        "compare", "date", race="beyond", minutes=2.0),
))

LESSONS = {lesson.key: lesson for lesson in (CHAPTER_7, CHAPTER_8, BEYOND)}
