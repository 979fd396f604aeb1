using Microsoft.ML;
using MLNet.Distillation.Students;
using MLNet.Distillation.Training;
using static MLNet.Distillation.Tests.TestData;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.StudentBodies;

/// <summary>
/// The mean teacher of a student with a body is a copy of its TRAINING form (a CNN's batch normalisation included), so
/// that the average pairs each weight and running statistic with the student's own — the exported form has batch
/// normalisation folded into the convolutions and other parameters.
/// </summary>
public class MeanTeacherBodyTests
{
    private static MlpStudent CnnStudent(int seed)
    {
        manual_seed(seed);
        var body = StudentArchitecture.Cnn(CnnTestData.Options()).Create(new BodyContext(784, 0, new float[784], Enumerable.Repeat(0.3f, 784).ToArray()));
        return new MlpStudent(body.OutputWidth, [12], 10, StudentActivation.Relu, 0, [], null, null, body);
    }

    [Fact]
    public void WithDecayZeroTheTeacherIsTheStudentAfterEveryUpdateBatchNormStatisticsIncluded()
    {
        using var student = CnnStudent(1);
        using var mean = new MeanTeacher(student, decay: 0, inputNoise: 0, featureStd: new float[784], keepTeacher: true, seed: 1, createLikeStudent: () => CnnStudent(2));
        var rows = CnnTestData.Rows(32);
        using var x = tensor(rows.SelectMany(r => r.Features).ToArray(), [32, 784]);
        using var optimizer = optim.Adam(student.parameters(), 0.01);
        for (int step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            student.train();
            var loss = student.forward(x).pow(2).mean();   // any loss: it moves the weights; train mode moves the running statistics
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            mean.Update();
        }
        student.eval();
        using var scope2 = NewDisposeScope();
        var expected = student.forward(x).data<float>().ToArray();
        var actual = mean.Teach(x).data<float>().ToArray();
        Assert.Equal(expected, actual);
        var studentBuffers = student.named_buffers().Where(b => b.buffer.is_floating_point()).ToDictionary(b => b.name, b => b.buffer.data<float>().ToArray());
        Assert.Contains(studentBuffers.Keys, name => name.Contains("running_mean"));
        foreach (var (name, buffer) in mean.Network.named_buffers().Where(b => b.buffer.is_floating_point()))
            Assert.Equal(studentBuffers[name], buffer.data<float>().ToArray());
    }

    [Fact]
    public void ACnnStudentSelfDistilsWithAMeanTeacher()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(CnnTestData.Rows(300));
        var model = CnnTestData.LabelToKey(ml).Append(ml.MulticlassClassification.Trainers.Student(new StudentOptions
        {
            Architecture = StudentArchitecture.Cnn(CnnTestData.Options()), HiddenLayers = [12], Epochs = 8, MinimumSteps = 0, BatchSize = 64, Seed = 3,
            SelfDistillation = new SelfDistillationOptions { Mode = SelfDistillationMode.MeanTeacher, EmaDecay = 0.9 },
        })).Fit(data);
        var student = model.LastTransformer;
        Assert.NotNull(student.Network.Body);
        Assert.True(student.History.All(h => double.IsFinite(h.Loss)));
        var accuracy = ml.MulticlassClassification.Evaluate(model.Transform(data)).MicroAccuracy;
        Assert.True(accuracy > 0.3, $"training accuracy {accuracy:P1} after eight epochs of a mean-teacher CNN (chance 10 %)");
    }
}
