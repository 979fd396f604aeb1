// The evidence of issue 15 for representation and embedding distillation, on the task folders of
// tools/make_embedding_teachers.py (suite-data/embeddings/<task>/: CSV splits and a teacher with two ONNX outputs,
// "logits" and "embedding", read with Transforms.Distill's OutputColumns). See RepresentationEvidence.cs and
// docs/losses.md, "Representation distillation: evidence".
//
//   /usr/bin/python3 tools/make_embedding_teachers.py          # suite-data/embeddings/{fashion,letter}
//   dotnet run -c Release --project samples/Representations -- [--tasks fashion,letter] [--seeds 3] [--labelled 0.05]
//       [--epochs fashion=5] [--conditions scratch,kd,kd+hint-mse,...,emb-cosine,random-projection]
//       [--reference-rows 10000] [--query-rows 2000] [--data suite-data/embeddings] [--output evidence-output]
//       [--threads 1] [--resume]
using System.Globalization;
using MLNet.Distillation.Samples.Representations;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string? Arg(string name) => args.SkipWhile(a => a != $"--{name}").Skip(1).FirstOrDefault();
int IntArg(string name, int fallback)
{
    var text = Arg(name);
    if (text is null) return fallback;
    if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < 1)
        throw new ArgumentException($"--{name} {text}: expected a positive whole number.");
    return v;
}

var known = ClassifierCondition.All.Select(c => c.Id).Concat(EmbeddingCondition.All.Select(c => c.Id)).Append("random-projection").ToArray();
var conditions = Arg("conditions")?.Split(',', StringSplitOptions.RemoveEmptyEntries);
var unknown = conditions?.Where(c => !known.Contains(c)).ToArray() ?? [];
if (unknown.Length > 0)
{
    Console.Error.WriteLine($"Unknown condition(s) {string.Join(", ", unknown)} for --conditions; known: {string.Join(", ", known)}.");
    return 2;
}
var epochs = new Dictionary<string, int>();
foreach (var pair in (Arg("epochs") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
{
    var parts = pair.Split('=');
    if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 1)
    {
        Console.Error.WriteLine($"--epochs '{pair}': expected task=epochs, e.g. fashion=5 (tasks not named keep the default: 20 epochs or more until 6,000 steps).");
        return 2;
    }
    epochs[parts[0]] = n;
}
double fraction = double.Parse(Arg("labelled") ?? "0.05", CultureInfo.InvariantCulture);
if (!(fraction > 0 && fraction < 1))
{
    Console.Error.WriteLine($"--labelled {fraction}: expected a fraction of the training labels strictly between 0 and 1.");
    return 2;
}
RepresentationEvidence.Run(new RepresentationEvidence.Settings(
    DataDir: Path.GetFullPath(Arg("data") ?? "suite-data/embeddings"),
    OutDir: Path.GetFullPath(Arg("output") ?? "evidence-output"),
    Tasks: (Arg("tasks") ?? "fashion,letter").Split(',', StringSplitOptions.RemoveEmptyEntries),
    Seeds: IntArg("seeds", 3),
    Fraction: fraction,
    Threads: IntArg("threads", 1),
    Resume: args.Contains("--resume"),
    Epochs: epochs,
    Conditions: conditions,
    ReferenceRows: IntArg("reference-rows", 10000),
    QueryRows: IntArg("query-rows", 2000),
    CommandLine: "dotnet run -c Release --project samples/Representations -- " + string.Join(' ', args)));
return 0;
