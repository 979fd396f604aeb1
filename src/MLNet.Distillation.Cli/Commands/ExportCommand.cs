using System.CommandLine;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MLNet.Distillation.Export;

namespace MLNet.Distillation.Cli.Commands;

/// <summary><c>export</c>: the student's ONNX graph out of a saved <c>student.zip</c>, checked, as a standalone ONNX file.</summary>
public static class ExportCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext cli)
    {
        var model = new Option<FileInfo>("--model", "-m") { Description = "The saved student (student.zip from train or auto).", Required = true, HelpName = "FILE.zip" };
        var output = new Option<FileInfo>("--output", "-o") { Description = "The ONNX file to write.", Required = true, HelpName = "FILE.onnx" };
        var command = new Command("export", """
            Write the student inside a saved model as a standalone ONNX file — the same graph 'train' writes as student.onnx
            (input 'features'; by task: probabilities, logits and predicted_class; logit, probability and predicted_label;
            score; embedding) — after checking that the model file is whole (its recorded checksum). Use it for a
            student.zip you kept.

            Example:
              mlnet-distill export --model wine-student/student.zip --output wine-student.onnx
            """)
        {
            model, output,
        };
        command.SetAction((parse, cancel) => CliApp.RunCommand(cli, () =>
        {
            var modelFile = parse.GetValue(model)!;
            var outputFile = parse.GetValue(output)!;
            var ml = CliApp.NewContext(cli, 1);
            using (var loaded = ml.Model.LoadStudent(modelFile.FullName, out _) as IDisposable) { }   // the file is whole: ML.NET loads it and the checksum holds
            var (network, classNames) = SavedStudent.Read(modelFile.FullName);
            var graph = StudentOnnxExporter.ToOnnx(network, StudentOnnxExporter.InputName, classNames);
            AtomicOutput.Write(outputFile.FullName, t => File.WriteAllBytes(t, graph));
            using var session = new InferenceSession(graph);
            static JsonObject Describe(IReadOnlyDictionary<string, NodeMetadata> nodes) => new(nodes.Select(n =>
                KeyValuePair.Create(n.Key, (JsonNode?)$"{n.Value.ElementDataType} [{string.Join(", ", n.Value.Dimensions.Select(d => d < 0 ? "batch" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]")));
            var result = new JsonObject
            {
                ["onnx"] = outputFile.FullName,
                ["bytes"] = graph.LongLength,
                ["inputs"] = Describe(session.InputMetadata),
                ["outputs"] = Describe(session.OutputMetadata),
            };
            if (!cli.Json)
            {
                cli.Say($"Wrote [bold]{Spectre.Console.Markup.Escape(outputFile.FullName)}[/] ({graph.LongLength:N0} bytes).");
                foreach (var (name, type) in result["inputs"]!.AsObject()) cli.Say($"  input  {Spectre.Console.Markup.Escape(name)}: {Spectre.Console.Markup.Escape(type!.GetValue<string>())}");
                foreach (var (name, type) in result["outputs"]!.AsObject()) cli.Say($"  output {Spectre.Console.Markup.Escape(name)}: {Spectre.Console.Markup.Escape(type!.GetValue<string>())}");
            }
            cli.WriteResult(result);
            return ExitCodes.Success;
        }));
        return command;
    }
}
