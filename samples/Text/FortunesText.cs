using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Tokenizers;
using MLNet.Distillation.Teachers;

namespace MLNet.Distillation.Samples.Text;

/// <summary>One row of the fortunes corpus (tools/make_text_data.py): the category and the text.</summary>
public sealed class FortuneRow
{
    [LoadColumn(0)] public string Label { get; set; } = "";
    [LoadColumn(1)] public string Text { get; set; } = "";
}

/// <summary>
/// The corpus files, the teacher (samples/Text/Data: teacher.onnx, vocab.txt, text_reference.json from
/// tools/make_text_teacher.py) and the three pipeline pieces every run uses: labels as keys in the teacher's class
/// order, the teacher's columns (its own WordPiece ids → ONNX logits), and the student's own word ids.
/// </summary>
public sealed class FortunesText
{
    private FortunesText(string dataDir)
    {
        DataDir = dataDir;
        var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(DataDir, "text_reference.json"))).RootElement;
        Classes = reference.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!).ToArray();
        MaxLength = reference.GetProperty("max_length").GetInt32();
        TeacherTestAccuracy = reference.GetProperty("test_accuracy").GetDouble();
        TeacherParameters = reference.GetProperty("parameters").GetInt64();
    }

    /// <summary>The sample's Data folder (copied next to the executable).</summary>
    public static FortunesText FromOutputFolder() => new(Path.Combine(AppContext.BaseDirectory, "Data"));

    public string DataDir { get; }
    public string TeacherPath => Path.Combine(DataDir, "teacher.onnx");
    public string VocabularyPath => Path.Combine(DataDir, "vocab.txt");
    public string[] Classes { get; }
    public int MaxLength { get; }

    /// <summary>The teacher's accuracy on the whole corpus's 798 test rows, as PyTorch measured it.</summary>
    public double TeacherTestAccuracy { get; }
    public long TeacherParameters { get; }

    /// <summary>fortunes-train.tsv / fortunes-test.tsv of <paramref name="folder"/> (tab-separated, no quoting).</summary>
    public static IDataView Load(MLContext ml, string folder, string split)
    {
        var path = Path.Combine(folder, $"fortunes-{split}.tsv");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} not found. The whole corpus is made by `/usr/bin/python3 tools/make_text_data.py` (after `apt-get install -y fortunes fortunes-min`); pass its folder with --data.", path);
        return ml.Data.LoadFromTextFile<FortuneRow>(path, separatorChar: '\t', hasHeader: true, allowQuoting: false);
    }

    /// <summary>The teacher's tokenizer: Microsoft.ML.Tokenizers' BertTokenizer over the teacher's vocab.txt, with the
    /// options tools/make_text_teacher.py reproduces ("[MASK]" in a text is plain text).</summary>
    public BertTokenizer Tokenizer() => BertTokenizer.Create(VocabularyPath, new BertOptions
    {
        LowerCaseBeforeTokenization = true,
        RemoveNonSpacingMarks = true,
        IndividuallyTokenizeCjk = true,
        SplitOnSpecialTokens = false,
    });

    /// <summary>Label text → key in the teacher's class order (key k = teacher output k); an empty label is a missing key.</summary>
    public IEstimator<ITransformer> LabelToKey(MLContext ml)
        => ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(Classes.Select(c => new ClassName { Value = c })));

    /// <summary>The teacher's inputs from the text with its own tokenizer, then the teacher's logits ("TeacherLogits").</summary>
    public IEstimator<ITransformer> Teacher(MLContext ml, BertTokenizer tokenizer)
        => ml.Transforms.Text.TokenizeForTeacher(tokenizer, "Text", MaxLength)
            .Append(ml.Transforms.Distill(TeacherOptions()));

    /// <summary>How Distill binds the teacher: its two inputs from the tokenized columns, its logits to "TeacherLogits".</summary>
    public DistillOptions TeacherOptions() => new()
    {
        TeacherModelPath = TeacherPath,
        InputColumns = { ["input_ids"] = "input_ids", ["attention_mask"] = "attention_mask" },
        OutputColumnName = "TeacherLogits",
        BatchSize = 128,
    };

    /// <summary>Words in the student's vocabulary: MapValueToKey keeps the first 4,000 distinct words it meets in the
    /// training rows (frequent words come early; later words read as padding). The embedding table is most of an
    /// embedding-bag student, so this bounds its size.</summary>
    public const int StudentVocabulary = 4000;

    /// <summary>The student's own vocabulary: ML.NET's normalisation and word tokenizer, each word a key ("Features").</summary>
    public static IEstimator<ITransformer> StudentTokens(MLContext ml)
        => ml.Transforms.Text.NormalizeText("Normalized", "Text", keepPunctuations: false)
            .Append(ml.Transforms.Text.TokenizeIntoWords("Tokens", "Normalized"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Features", "Tokens", maximumNumberOfKeys: StudentVocabulary));

    private sealed class ClassName
    {
        public string Value { get; set; } = "";
    }
}
