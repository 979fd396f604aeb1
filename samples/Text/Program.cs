// MLNet.Distillation text sample: a Transformer teacher with its own WordPiece tokenizer (ONNX) teaches a fastText-like
// embedding-bag student that reads ML.NET's word keys — different models, different vocabularies, the same rows.
//
// Corpus: Debian's `fortunes`, six categories (computers, men-women, politics, science, songs-poems, work), see
// tools/make_text_data.py. Teacher: tools/make_text_teacher.py (2-layer Transformer encoder, 1.8 MB ONNX).
//
//   dotnet run --project samples/Text                                   # quick run on the committed subset (600 + 180 rows)
//   dotnet run --project samples/Text -- --evidence --seeds 3           # the docs/results.md table on the whole corpus
//        [--data suite-data/text] [--output text-output]                # (the corpus: /usr/bin/python3 tools/make_text_data.py)
using System.Globalization;
using MLNet.Distillation.Samples.Text;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var outputDir = Path.GetFullPath(Option("--output") ?? "text-output");
var fortunes = FortunesText.FromOutputFolder();
try
{
    if (args.Contains("--evidence"))
    {
        var seeds = int.Parse(Option("--seeds") ?? "3", CultureInfo.InvariantCulture);
        var dataDir = Path.GetFullPath(Option("--data") ?? Path.Combine("suite-data", "text"));
        return TextEvidence.Run(fortunes, dataDir, outputDir, seeds);
    }
    return QuickRun.Run(fortunes, outputDir);
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or FormatException)
{
    // A wrong argument or a missing corpus ends with its message, not a stack trace.
    Console.Error.WriteLine(e.Message);
    return 3;
}
