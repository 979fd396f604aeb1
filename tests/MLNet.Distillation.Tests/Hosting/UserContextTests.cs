using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Hosting;

/// <summary>The library works inside the user's MLContext: its log, seed and temp-file folder (HostEnvironment.cs).</summary>
public class UserContextTests
{
    private static TransformerChain<Students.StudentTransformer> FitWine(MLContext ml, string? cachePath = null)
        => WineLabelToKey(ml)
            .Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher, cachePath: cachePath))
            .Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions { TeacherColumnName = "TeacherLogits", HiddenLayers = [8], Epochs = 2, Seed = 1 }))
            .Fit(WineSplit(ml, "train"));

    [Fact]
    public void TheTeacherPassTheEpochsAndTheScoringChainAllLogToTheUsersContext()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1);
        var messages = new List<LoggingEventArgs>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e); };
        using var model = FitWine(ml, folder.File("wine.idv"));

        Assert.Contains(messages, e => e.Source == "Distill" && e.RawMessage.StartsWith("Wrote soft-label cache"));
        Assert.Contains(messages, e => e.Source == "Student" && e.RawMessage.StartsWith("epoch 2/2"));
        Assert.Contains(messages, e => e.Source == "Student" && e.RawMessage.StartsWith("Built the ML.NET scoring chain for 3 classes"));
    }

    [Fact]
    public void TheContextForTheLibrarysOwnStepsHasTheUsersSeedAndTempFolderAndForwardsItsLog()
    {
        using var folder = new TempFolder();
        var user = new MLContext(seed: 42) { TempFilePath = folder.Path };
        var received = new List<LoggingEventArgs>();
        user.Log += (_, e) => { lock (received) received.Add(e); };

        var env = HostEnvironment.From(user.Transforms);
        Assert.IsNotType<MLContext>(env);   // what a catalog holds is ML.NET's environment, not the user's MLContext
        var context = env.ToMLContext();
        Assert.Same(context, env.ToMLContext());
        Assert.Equal(folder.Path, context.TempFilePath);
        ((IHostEnvironment)context).Info("Probe", "hello from the library's context");
        Assert.Contains(received, e => e.Source == "Probe" && e.RawMessage == "hello from the library's context" && e.Kind == ChannelMessageKind.Info);
        int fromLibrary = ((IHostEnvironment)context).Register("r").Rand.Next();
        int fromSeed = ((IHostEnvironment)new MLContext(seed: 42)).Register("r").Rand.Next();
        Assert.Equal(fromSeed, fromLibrary);
    }

    [Fact]
    public void AnObjectWithoutAnMLNetEnvironmentIsRefusedByName()
    {
        var e = Assert.Throws<InvalidOperationException>(() => HostEnvironment.From(new object()));
        Assert.Contains("System.Object", e.Message);
        Assert.Contains("ML.NET 5.0", e.Message);
    }

    /// <summary>Files directly in <paramref name="folder"/> (ML.NET's temporary copies of ONNX graphs).</summary>
    private static string[] Files(string folder) => Directory.GetFiles(folder);

    [Fact]
    public void ATrainedStudentKeepsOneTemporaryFileInTheUsersTempFolderUntilDisposed()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(seed: 1) { TempFilePath = folder.Path };
        var model = FitWine(ml);
        Assert.Single(Files(folder.Path));   // ML.NET's copy of the student graph, beside nothing else
        model.Dispose();
        Assert.Empty(Files(folder.Path));
    }

    [Fact]
    public void SavingAndLoadingAStudentLeaveNothingInTheTempFolderOnceDisposed()
    {
        using var folder = new TempFolder();
        var temp = Directory.CreateDirectory(folder.File("temp")).FullName;
        var ml = new MLContext(seed: 1) { TempFilePath = temp };
        var train = WineSplit(ml, "train");
        using (var model = FitWine(ml))
            ml.Model.Save(model, train.Schema, folder.File("student.zip"));
        Assert.Empty(Files(temp));

        var fresh = new MLContext { TempFilePath = temp };
        var loaded = fresh.Model.Load(folder.File("student.zip"), out _);
        _ = ReadVectors(loaded.Transform(WineSplit(fresh, "test")), "Score");
        Assert.Single(Files(temp));
        ((IDisposable)loaded).Dispose();
        Assert.Empty(Files(temp));
    }
}
