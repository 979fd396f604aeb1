using MLNet.Distillation.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Tests.Losses;

/// <summary>
/// What the representation losses are for: a hint is zero when the projected student equals the teacher, the relational
/// losses ignore the teacher's scale, InfoNCE is smallest at s = t, same-class rows are never triplet negatives; and
/// their projections are owned, sized in Bind and refused with a clear message when they cannot fit.
/// </summary>
public class RepresentationBehaviourTests
{
    private const string Column = "TeacherEmbedding";

    private static Tensor Random(long rows, long width, int seed, double scale = 1.0)
    {
        var g = new Generator((ulong)seed);
        return (randn(rows, width, dtype: ScalarType.Float64, generator: g) * scale);
    }

    private static LossContext Context(Tensor student, Tensor teacher, Tensor? labels = null, bool training = true,
        DistillationTask task = DistillationTask.MulticlassClassification) => new()
    {
        Task = task, StudentLogits = student, StudentLayers = [student], Teacher = teacher,
        TeacherExtras = new Dictionary<string, Tensor> { [Column] = teacher },
        Labels = labels ?? full(student.shape[0], -1L, ScalarType.Int64), Training = training,
    };

    private static LossBinding Binding(int studentWidth, int teacherWidth)
        => new(DistillationTask.MulticlassClassification, 3, [studentWidth], studentWidth, new Dictionary<string, int> { [Column] = teacherWidth }, 1);

    private static double Value(LossTerms terms) => LossGoldens.Item(terms.Total);

    [Fact]
    public void Hint_mse_and_cosine_are_zero_when_the_student_layer_equals_the_teacher()
    {
        using var scope = NewDisposeScope();
        var t = Random(6, 4, 1);
        foreach (var distance in new[] { HintDistance.Mse, HintDistance.Cosine })
        {
            using var hint = DistillationLoss.Hint(Column, distance: distance, projection: HintProjection.None);
            hint.Bind(Binding(4, 4));
            Assert.Equal(0.0, Value(hint.Compute(Context(t.clone(), t))), 12);
        }
    }

    [Fact]
    public void Hint_mse_is_zero_when_the_linear_projection_maps_the_student_onto_the_teacher()
    {
        using var scope = NewDisposeScope();
        var s = Random(6, 5, 2);
        var w = Random(4, 5, 3);
        var t = s.matmul(w.t()) + 0.5;
        using var hint = DistillationLoss.Hint(Column);
        hint.Bind(Binding(5, 4));
        hint.ConvertParameters(ScalarType.Float64);
        var p = hint.Parameters().ToArray();
        Assert.Equal(2, p.Length);
        using (no_grad()) { p[0].copy_(w); p[1].fill_(0.5); }
        Assert.Equal(0.0, Value(hint.Compute(Context(s, t))), 12);
    }

    [Theory]
    [InlineData(HintProjection.None, HintDistance.Mse, 0)]
    [InlineData(HintProjection.Linear, HintDistance.Mse, 2)]
    [InlineData(HintProjection.Mlp, HintDistance.Cosine, 4)]
    [InlineData(HintProjection.Linear, HintDistance.MiAlpha, 4)]
    public void A_hint_owns_its_projection_and_baseline_parameters(HintProjection projection, HintDistance distance, int count)
    {
        using var hint = DistillationLoss.Hint(Column, distance: distance, projection: projection);
        Assert.Empty(hint.Parameters());
        hint.Bind(Binding(4, 4));
        Assert.Equal(count, hint.Parameters().Count());
        Assert.All(hint.Parameters(), q => Assert.True(q.requires_grad));
        hint.Bind(Binding(4, 4));
        Assert.Equal(count, hint.Parameters().Count());
    }

    [Fact]
    public void No_projection_between_different_widths_is_refused_at_bind_naming_both_widths()
    {
        using var hint = DistillationLoss.Hint(Column, projection: HintProjection.None);
        var e = Assert.Throws<ArgumentException>(() => hint.Bind(Binding(16, 8)));
        Assert.Equal("projection", e.ParamName);
        Assert.Contains("16", e.Message);
        Assert.Contains("8", e.Message);
        Assert.Contains("HintProjection.Linear", e.Message);
    }

    [Fact]
    public void Binding_refuses_a_missing_layer_or_column_by_name()
    {
        using var hint = DistillationLoss.Hint(Column, studentLayer: 2);
        var layer = Assert.Throws<ArgumentOutOfRangeException>(() => hint.Bind(Binding(4, 4)));
        Assert.Contains("1 hidden layer", layer.Message);
        using var other = DistillationLoss.Hint("Elsewhere");
        var column = Assert.Throws<ArgumentException>(() => other.Bind(Binding(4, 4)));
        Assert.Contains("'Elsewhere'", column.Message);
    }

    [Fact]
    public void Computing_an_unbound_hint_or_without_its_column_says_what_is_missing()
    {
        using var scope = NewDisposeScope();
        var s = Random(4, 4, 4);
        using var hint = DistillationLoss.Hint(Column);
        Assert.Contains("Bind", Assert.Throws<InvalidOperationException>(() => hint.Compute(Context(s, s))).Message);
        hint.Bind(Binding(4, 4));
        hint.ConvertParameters(ScalarType.Float64);
        var ctx = new LossContext { StudentLogits = s, StudentLayers = [s], Labels = full(4, -1L, ScalarType.Int64) };
        Assert.Contains($"'{Column}'", Assert.Throws<ArgumentException>(() => hint.Compute(ctx)).Message);
        var shortTeacher = new LossContext
        {
            StudentLogits = s, StudentLayers = [s], Labels = full(4, -1L, ScalarType.Int64),
            TeacherExtras = new Dictionary<string, Tensor> { [Column] = Random(3, 4, 5) },
        };
        Assert.Contains("[4, width]", Assert.Throws<ArgumentException>(() => hint.Compute(shortTeacher)).Message);
    }

    [Fact]
    public void Nd_keeps_class_means_from_training_batches_only()
    {
        using var scope = NewDisposeScope();
        var s = Random(6, 4, 6);
        var t = Random(6, 4, 7);
        var labels = tensor(new long[] { 0, 1, 0, 1, 2, 2 });
        using var nd = DistillationLoss.Hint(Column, distance: HintDistance.Nd, projection: HintProjection.None);
        nd.Bind(Binding(4, 4));
        double first = Value(nd.Compute(Context(s, t, labels)));
        // An evaluation batch with other teacher embeddings changes nothing; a training one does.
        nd.Compute(Context(s, Random(6, 4, 8), labels, training: false));
        Assert.Equal(first, Value(nd.Compute(Context(s, t, labels, training: false))), 12);
        nd.Compute(Context(s, Random(6, 4, 9), labels));
        Assert.NotEqual(first, Value(nd.Compute(Context(s, t, labels, training: false))), 6);
    }

    [Fact]
    public void Nd_is_one_minus_the_norm_ratio_when_the_student_points_along_its_class_mean()
    {
        using var scope = NewDisposeScope();
        // One class whose rows all point along e: the student along e with twice the teacher's norm gives 1 − 2|t|/2|t| = 0;
        // with half the norm, 1 − ½.
        var e = tensor(new[] { 0.6, 0.8, 0.0 }).unsqueeze(0);
        var t = cat([e * 2.0, e * 2.0], 0);
        var labels = tensor(new long[] { 0, 0 });
        using var nd = DistillationLoss.Hint(Column, distance: HintDistance.Nd, projection: HintProjection.None);
        nd.Bind(Binding(3, 3));
        Assert.Equal(0.0, Value(nd.Compute(Context(t * 2.0, t, labels))), 12);
        Assert.Equal(0.5, Value(nd.Compute(Context(t * 0.5, t, labels))), 12);
    }

    [Fact]
    public void Mi_alpha_rewards_a_student_that_identifies_its_teacher_row()
    {
        using var scope = NewDisposeScope();
        var t = Random(8, 4, 10);
        using var mi = DistillationLoss.Hint(Column, distance: HintDistance.MiAlpha, projection: HintProjection.None);
        mi.Bind(Binding(4, 4));
        mi.ConvertParameters(ScalarType.Float64);
        double aligned = Value(mi.Compute(Context(t * 3.0, t)));
        double shuffled = Value(mi.Compute(Context(t.flip(0) * 3.0, t)));
        Assert.True(aligned < shuffled, $"aligned {aligned} vs shuffled {shuffled}");
        var one = Random(1, 4, 11).requires_grad_(true);
        var zero = mi.Compute(Context(one, Random(1, 4, 12))).Total;
        zero.backward();
        Assert.Equal(0.0, LossGoldens.Item(zero));
    }

    [Theory]
    [InlineData("distance")]
    [InlineData("angle")]
    [InlineData("graph")]
    public void Relational_losses_ignore_the_scale_of_the_teacher_and_vanish_when_the_relations_agree(string which)
    {
        using var scope = NewDisposeScope();
        DistillationLoss Make() => which switch
        {
            "distance" => DistillationLoss.RkdDistance(Column),
            "angle" => DistillationLoss.RkdAngle(Column),
            _ => DistillationLoss.RelationGraph(Column),
        };
        var s = Random(7, 5, 13);
        var t = Random(7, 3, 14);
        using var loss = Make();
        double baseValue = Value(loss.Compute(Context(s, t)));
        Assert.True(baseValue > 1e-4, $"{which}: {baseValue}");
        Assert.Equal(baseValue, Value(loss.Compute(Context(s, t * 37.0))), 9);
        Assert.Equal(baseValue, Value(loss.Compute(Context(s * 0.01, t))), 9);
        Assert.Equal(0.0, Value(loss.Compute(Context(s, s * 5.0))), 12);
    }

    [Fact]
    public void Relational_losses_read_the_teacher_outputs_without_a_column()
    {
        using var scope = NewDisposeScope();
        using var loss = DistillationLoss.RkdDistance();
        Assert.Empty(loss.TeacherColumns);
        Assert.Equal([Column], DistillationLoss.RkdAngle(Column).TeacherColumns);
        var s = Random(5, 4, 15);
        var ctx = new LossContext { StudentLogits = s, StudentLayers = [s], Teacher = s * 2.0, Labels = full(5, -1L, ScalarType.Int64) };
        Assert.Equal(0.0, Value(loss.Compute(ctx)), 12);
        var noTeacher = new LossContext { StudentLogits = s, StudentLayers = [s], Labels = full(5, -1L, ScalarType.Int64) };
        Assert.Throws<InvalidOperationException>(() => loss.Compute(noTeacher));
    }

    [Fact]
    public void Rkd_angle_gives_finite_gradients_when_two_rows_coincide()
    {
        using var scope = NewDisposeScope();
        var raw = Random(6, 4, 16);
        raw[3] = raw[1];
        var s = raw.requires_grad_(true);
        using var loss = DistillationLoss.RkdAngle(Column);
        loss.Compute(Context(s, Random(6, 3, 17))).Total.backward();
        Assert.All(LossGoldens.Flat(s.grad!), g => Assert.True(double.IsFinite(g) && Math.Abs(g) < 10, $"gradient {g}"));
    }

    [Fact]
    public void Contrastive_loss_is_smallest_when_each_student_embedding_equals_its_teacher()
    {
        using var scope = NewDisposeScope();
        var t = Random(8, 4, 18);
        using var nce = DistillationLoss.EmbeddingContrastive(0.1, supervised: false);
        double atTeacher = Value(nce.Compute(Context(t, t, task: DistillationTask.Embedding)));
        for (int seed = 0; seed < 5; seed++)
        {
            var moved = t + Random(8, 4, 100 + seed, 0.3);
            Assert.True(atTeacher < Value(nce.Compute(Context(moved, t, task: DistillationTask.Embedding))), $"perturbation {seed}");
        }
    }

    [Fact]
    public void Supervised_contrastive_differs_only_when_rows_share_a_label()
    {
        using var scope = NewDisposeScope();
        var s = Random(6, 4, 19);
        var t = Random(6, 4, 20);
        var sup = DistillationLoss.EmbeddingContrastive(0.2, supervised: true);
        var plain = DistillationLoss.EmbeddingContrastive(0.2, supervised: false);
        var distinct = tensor(new long[] { 0, 1, 2, -1, 3, -1 });
        Assert.Equal(Value(plain.Compute(Context(s, t, distinct, task: DistillationTask.Embedding))),
            Value(sup.Compute(Context(s, t, distinct, task: DistillationTask.Embedding))), 12);
        var shared = tensor(new long[] { 0, 1, 0, 1, 2, 2 });
        Assert.NotEqual(Value(plain.Compute(Context(s, t, shared, task: DistillationTask.Embedding))),
            Value(sup.Compute(Context(s, t, shared, task: DistillationTask.Embedding))), 6);
    }

    [Fact]
    public void Triplet_never_takes_a_same_class_row_as_negative_and_is_zero_when_every_row_is_one_class()
    {
        using var scope = NewDisposeScope();
        var s = Random(5, 4, 21);
        var t = Random(5, 4, 22);
        using var triplet = DistillationLoss.EmbeddingTriplet();
        Assert.Equal(0.0, Value(triplet.Compute(Context(s, t, tensor(new long[] { 4, 4, 4, 4, 4 }), task: DistillationTask.Embedding))));
        Assert.True(Value(triplet.Compute(Context(s, t, task: DistillationTask.Embedding))) > 0);
        // Far apart, well separated rows: s = t leaves every negative beyond the margin.
        var e = eye(4, dtype: ScalarType.Float64) * 3.0;
        Assert.Equal(0.0, Value(triplet.Compute(Context(e, e, task: DistillationTask.Embedding))), 12);
    }

    [Fact]
    public void Embedding_losses_check_the_teacher_width()
    {
        using var scope = NewDisposeScope();
        var ctx = Context(Random(4, 4, 23), Random(4, 3, 24), task: DistillationTask.Embedding);
        Assert.Contains("teacher embeddings", Assert.Throws<ArgumentException>(() => DistillationLoss.EmbeddingCosine().Compute(ctx)).Message);
    }

    [Fact]
    public void Losses_declare_their_tasks_and_columns()
    {
        var all = Enum.GetValues<DistillationTask>();
        Assert.Equal(all, DistillationLoss.Hint(Column).Tasks.Order());
        Assert.Equal(all, DistillationLoss.RkdDistance().Tasks.Order());
        Assert.Equal(all, DistillationLoss.RelationGraph().Tasks.Order());
        Assert.DoesNotContain(DistillationTask.Regression, DistillationLoss.Hint(Column, distance: HintDistance.Nd).Tasks);
        Assert.DoesNotContain(DistillationTask.Ranking, DistillationLoss.Hint(Column, distance: HintDistance.Nd).Tasks);
        Assert.Equal([DistillationTask.Embedding], DistillationLoss.EmbeddingContrastive().Tasks);
        Assert.Equal([DistillationTask.Embedding], DistillationLoss.EmbeddingTriplet().Tasks);
        Assert.Equal([DistillationTask.Embedding], DistillationLoss.EmbeddingCosine().Tasks);
        Assert.Equal([Column], DistillationLoss.Hint(Column).TeacherColumns);
        var sum = DistillationLoss.TeacherCorrected() + DistillationLoss.Hint(Column);
        Assert.Equal([DistillationTask.MulticlassClassification], sum.Tasks);
        Assert.Equal([Column], sum.TeacherColumns);
    }

    [Fact]
    public void Factories_use_the_documented_defaults()
    {
        var hint = DistillationLoss.Hint(Column);
        Assert.Equal((-1, HintDistance.Mse, HintProjection.Linear, 1.0, 0.5), (hint.StudentLayerIndex, hint.Distance, hint.Projection, hint.Weight, hint.Alpha));
        Assert.Equal((null, -1), (DistillationLoss.RkdDistance().TeacherColumn, DistillationLoss.RkdAngle().StudentLayerIndex));
        Assert.Equal(0.1, DistillationLoss.RelationGraph().Temperature);
        Assert.Equal((0.1, false), (DistillationLoss.EmbeddingContrastive().Temperature, DistillationLoss.EmbeddingContrastive().Supervised));
        Assert.Equal(0.2, DistillationLoss.EmbeddingTriplet().Margin);
    }
}
