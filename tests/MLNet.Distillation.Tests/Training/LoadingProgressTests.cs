using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.Distillation.Progress;
using MLNet.Distillation.Teachers;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;

namespace MLNet.Distillation.Tests.Training;

/// <summary>Progress from the first second: reading the rows (which runs the teacher) and writing a soft-label cache report rows, rows/s and time left.</summary>
public class LoadingProgressTests
{
    private static StudentOptions Options(List<LoadingProgress> reports) => new()
    {
        TeacherColumnName = "TeacherLogits", HiddenLayers = [8], Epochs = 2, BatchSize = 32, LearningRate = 0.01, Seed = 7,
        LoadingProgress = reports.Add, LoadingProgressInterval = TimeSpan.Zero,
    };

    /// <summary>The 178 wine rows from a list, so that the data view knows its row count.</summary>
    private static IDataView WineList(MLContext ml) => ml.Data.LoadFromEnumerable(ml.Data.CreateEnumerable<WineRow>(Wine(ml), reuseRowObject: false).ToList());

    [Fact]
    public void ReadingTheRowsReportsIncreasingCountsEndingAtTheRowCount()
    {
        var ml = new MLContext(seed: 1);
        var reports = new List<LoadingProgress>();
        var data = WineList(ml);
        WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(ml.MulticlassClassification.Trainers.Student(Options(reports))).Fit(data);

        Assert.All(reports, r => Assert.Equal(LoadingStage.TrainingRows, r.Stage));
        Assert.Equal(0, reports[0].Rows);
        Assert.Equal(Enumerable.Range(0, 179).Select(i => (long)i), reports.Take(179).Select(r => r.Rows));
        var last = reports[^1];
        Assert.True(last.IsFinished);
        Assert.Equal(178, last.Rows);
        Assert.All(reports, r => Assert.Equal(178, r.TotalRows));
        Assert.All(reports.Skip(1), r => Assert.True(r.RowsPerSecond > 0 && r.EstimatedRemaining is not null));
        Assert.Single(reports, r => r.IsFinished);
    }

    [Fact]
    public void WithoutARowCountThereIsNoEstimateButTheCountsStillEndAtTheRows()
    {
        var ml = new MLContext(seed: 1);
        var reports = new List<LoadingProgress>();
        var data = WineSplit(ml, "test");   // a filtered view: its row count is unknown until read
        Assert.Null(data.GetRowCount());
        WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(ml.MulticlassClassification.Trainers.Student(Options(reports))).Fit(data);

        long rows = ml.Data.CreateEnumerable<WineRow>(data, false).LongCount();
        Assert.Equal(rows, reports[^1].Rows);
        Assert.All(reports, r => Assert.Null(r.TotalRows));
        Assert.All(reports.Where(r => !r.IsFinished), r => Assert.Null(r.EstimatedRemaining));
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.Second.Rows >= p.First.Rows));
    }

    [Fact]
    public void ValidationRowsReportAsTheirOwnStage()
    {
        var ml = new MLContext(seed: 1);
        var reports = new List<LoadingProgress>();
        var prepare = WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher)).Fit(WineSplit(ml, "train"));
        ml.MulticlassClassification.Trainers.Student(Options(reports))
            .Fit(prepare.Transform(WineSplit(ml, "train")), prepare.Transform(WineSplit(ml, "test")));

        Assert.Equal([LoadingStage.TrainingRows, LoadingStage.ValidationRows], reports.Select(r => r.Stage).Distinct());
        Assert.Equal(2, reports.Count(r => r.IsFinished));
    }

    [Fact]
    public void WritingTheSoftLabelCacheReportsTheTeacherPassToTheDistillAndTheStudentListeners()
    {
        var folder = TempDir();
        try
        {
            var ml = new MLContext(seed: 1);
            var studentReports = new List<LoadingProgress>();
            var distillReports = new List<LoadingProgress>();
            var teacher = new DistillOptions
            {
                TeacherModelPath = WineTeacher, InputColumnName = "Features", OutputColumnName = "TeacherLogits", BatchSize = 16,
                CachePath = Path.Combine(folder, "wine.idv"), Progress = distillReports.Add,
            };
            WineLabelToKey(ml).Append(ml.Transforms.Distill(teacher))
                .Append(ml.MulticlassClassification.Trainers.Student(Options(studentReports))).Fit(WineList(ml));

            Assert.All(distillReports, r => Assert.Equal(LoadingStage.TeacherPass, r.Stage));
            Assert.Equal(0, distillReports[0].Rows);
            Assert.Equal(178, distillReports[^1].Rows);
            Assert.True(distillReports[^1].IsFinished);
            // The student's listener hears the teacher pass first (every row: its interval is zero), then its own reading.
            var pass = studentReports.TakeWhile(r => r.Stage == LoadingStage.TeacherPass).ToList();
            Assert.Equal(Enumerable.Range(0, 179).Select(i => (long)i), pass.Select(r => r.Rows).Take(179));
            Assert.Equal(178, pass[^1].Rows);
            Assert.All(studentReports.Skip(pass.Count), r => Assert.Equal(LoadingStage.TrainingRows, r.Stage));
            Assert.Equal(178, studentReports[^1].Rows);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void EveryReportIsAlsoALineInMLContextLog()
    {
        var ml = new MLContext(seed: 1);
        var lines = new List<string>();
        ml.Log += (_, e) => { if (e.Kind == ChannelMessageKind.Info) lock (lines) lines.Add(e.Message); };
        var reports = new List<LoadingProgress>();
        var options = Options(reports);
        options.LoadingProgressInterval = TimeSpan.FromSeconds(1);
        WineLabelToKey(ml).Append(ml.Transforms.Distill("TeacherLogits", "Features", WineTeacher))
            .Append(ml.MulticlassClassification.Trainers.Student(options)).Fit(WineList(ml));

        Assert.Equal(reports.Count, lines.Count(l => l.Contains("reading training rows")));
        Assert.Contains(lines, l => l.Contains("reading training rows: 0 of 178 rows"));
        Assert.Contains(lines, l => l.Contains("reading training rows: 178 of 178 rows (100%)") && l.Contains("done in"));
    }
}
