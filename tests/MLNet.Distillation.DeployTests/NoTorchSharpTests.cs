using MLNet.Distillation.Deploy;

namespace MLNet.Distillation.DeployTests;

/// <summary>Nothing of TorchSharp, libtorch or MLNet.Distillation is needed — or present — to score a student.</summary>
public class NoTorchSharpTests
{
    private static bool IsTrainingStack(string name)
        => name.Contains("torch", StringComparison.OrdinalIgnoreCase) || name.StartsWith("MLNet.Distillation", StringComparison.Ordinal) && !name.StartsWith("MLNet.Distillation.DeployTests", StringComparison.Ordinal);

    [Fact]
    public void TheOutputFolderHasNoTorchSharpLibtorchOrMLNetDistillationFile()
    {
        var files = Directory.EnumerateFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(AppContext.BaseDirectory, f)).ToArray();
        Assert.Contains(files, f => Path.GetFileName(f) == "Microsoft.ML.OnnxTransformer.dll");   // the folder is the real one
        Assert.DoesNotContain(files, f => IsTrainingStack(Path.GetFileName(f)));
    }

    [Fact]
    public void ScoringLoadsNoTorchSharpOrMLNetDistillationAssembly()
    {
        using (var student = new StudentModel(WineStudent.ModelPath))
            student.Predict(WineStudent.Rows()[0].Features);
        var loaded = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name ?? "").ToArray();
        Assert.Contains("Microsoft.ML.OnnxTransformer", loaded);
        Assert.DoesNotContain(loaded, IsTrainingStack);
    }

    [Fact]
    public void ThisAssemblyReferencesNoTorchSharpOrMLNetDistillation()
    {
        var references = typeof(NoTorchSharpTests).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "");
        Assert.DoesNotContain(references, IsTrainingStack);
    }
}
