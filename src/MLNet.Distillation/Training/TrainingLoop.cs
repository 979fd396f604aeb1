using System.Diagnostics;
using MLNet.Distillation.Losses;
using MLNet.Distillation.Students;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Distillation.Training;

/// <summary>
/// The TorchSharp training loop: seeded initialisation and shuffling, batches from a batch source — the rows in memory
/// (<see cref="InMemoryBatches"/>) or streamed (<see cref="StreamingBatches"/>) — in tensors reused by every step
/// (<see cref="BatchTensors"/>: no whole-data tensor, no tensor per row), every step
/// inside a dispose scope, learning-rate schedule, validation metrics computed chunk by chunk, early stopping with the
/// best epoch's weights kept.
/// </summary>
internal sealed class TrainingLoop
{
    private readonly StudentOptions _o;
    private readonly DistillationLoss _loss;
    private readonly Action<string> _log;

    private readonly Action<string> _warn;

    public TrainingLoop(StudentOptions options, DistillationLoss loss, Action<string> log, Action<string> warn)
    {
        _o = options;
        _loss = loss;
        _log = log;
        _warn = warn;
    }

    private static readonly object SeedLock = new();

    public List<EpochProgress> History { get; } = new();

    /// <summary>The fit's <see cref="StudentOptions.DataStrategy"/>, bound to its rows (null: none).</summary>
    public DataStrategyRun? Strategy { get; init; }

    /// <summary>Epochs of the current run: <see cref="StudentOptions.Epochs"/>, raised to reach <see cref="StudentOptions.MinimumSteps"/>.</summary>
    private int _epochs;

    /// <summary>
    /// The epochs a run over <paramref name="rows"/> training rows makes: <see cref="StudentOptions.Epochs"/>, or more when
    /// that many epochs would make fewer than <see cref="StudentOptions.MinimumSteps"/> optimisation steps.
    /// </summary>
    public static int EffectiveEpochs(StudentOptions o, long rows)
    {
        long batch = Math.Max(1, Math.Min(o.BatchSize, rows));
        long stepsPerEpoch = (rows + batch - 1) / batch;
        long needed = (o.EffectiveMinimumSteps + stepsPerEpoch - 1) / Math.Max(1, stepsPerEpoch);
        return (int)Math.Clamp(needed, o.Epochs, Math.Max(o.Epochs, MaximumEpochs));
    }

    /// <summary>The optimiser <see cref="StudentOptions.Optimizer"/> names, over <paramref name="parameters"/>, at the options' learning rate and weight decay.</summary>
    internal static optim.Optimizer CreateOptimizer(StudentOptions o, IEnumerable<TorchSharp.Modules.Parameter> parameters) => o.Optimizer == StudentOptimizer.AdamW
        ? optim.AdamW(parameters, o.LearningRate, weight_decay: o.WeightDecay)
        : optim.Adam(parameters, o.LearningRate, weight_decay: o.WeightDecay);

    /// <summary>
    /// A freshly initialised student: the body of <see cref="StudentOptions.Architecture"/> (which normalises its own input)
    /// under the hidden layers and head, or a plain MLP over the features, standardised when <see cref="StudentOptions.StandardizeFeatures"/>.
    /// </summary>
    private MlpStudent CreateStudent(TrainingSet train, float[] mean, float[] std, float[] scale)
    {
        if (_o.Architecture is { } architecture)
        {
            var body = architecture.Create(new BodyContext(train.FeatureCount, train.VocabularySize, mean, std, _o.FeatureColumnName));
            return new MlpStudent(body.OutputWidth, _o.HiddenLayers, train.ClassCount, _o.Activation, _o.Dropout, _loss.ExtraHeads, null, null, body);
        }
        return _o.StandardizeFeatures
            ? new MlpStudent(train.FeatureCount, _o.HiddenLayers, train.ClassCount, _o.Activation, _o.Dropout, _loss.ExtraHeads, mean, scale)
            : new MlpStudent(train.FeatureCount, _o.HiddenLayers, train.ClassCount, _o.Activation, _o.Dropout, _loss.ExtraHeads, null, null);
    }

    /// <summary>The most epochs <see cref="StudentOptions.MinimumSteps"/> may raise a run to.</summary>
    public const int MaximumEpochs = 1000;

    /// <summary>Trains on the rows of <paramref name="train"/> (those <see cref="Strategy"/> selects), in memory.</summary>
    public StudentNetwork Run(TrainingSet train, TrainingSet? validation, int seed)
    {
        int givenRows = train.Rows;
        train = Strategy?.Select(train, seed) ?? train;
        using var source = new InMemoryBatches(train, _o.BatchSize);
        return Run(source, validation, seed, givenRows);
    }

    /// <summary>
    /// Trains on the batches of <paramref name="source"/>, validating on <paramref name="validation"/> (in memory) after each
    /// epoch; <paramref name="givenRows"/>: the rows before <see cref="Strategy"/> selected some (default: the source's).
    /// </summary>
    public StudentNetwork Run(IBatchSource source, TrainingSet? validation, int seed, int? givenRows = null)
    {
        var train = source.Set;
        var (mean, std) = source.FeatureStatistics();
        var scale = std.Select(s => s > 1e-6f ? 1f / s : 1f).ToArray();
        MlpStudent created;
        RandomTeacherPhase? randomTeacher;
        // TorchSharp's generator is process-wide: seeding and initialising under one lock keeps a seeded student
        // reproducible while other students train concurrently in the same process (dropout still draws from it).
        lock (SeedLock)
        {
            torch.manual_seed(seed);
            created = CreateStudent(train, mean, std, scale);
            // The loss sizes its own parts (e.g. projections onto a teacher embedding) under the same seed.
            _loss.Bind(new LossBinding(train.Task, train.ClassCount, created.LayerWidths, created.PenultimateWidth, train.ExtraWidths, seed));
            randomTeacher = RandomTeacherPhase.For(_o, created);   // after the student: it starts as a scratch fit's does
        }
        using var model = created;
        int rowsPerStep = (int)Math.Min(_o.BatchSize, source.Rows);
        long workPerStep = TorchThreads.WorkPerStep(created.DenseInputWidth, _o.HiddenLayers, train.ClassCount, rowsPerStep)
            + (created.Body?.MultiplyAddsPerRow ?? 0) * rowsPerStep;
        using var threads = TorchThreads.Apply(_o.NumberOfThreads, workPerStep);
        _log($"Using {threads.Describe(workPerStep)}.");
        using var phase = randomTeacher;
        using var meanTeacher = MeanTeacher.For(_o, model, std, seed, () => CreateStudent(train, mean, std, scale));
        var kept = meanTeacher?.Kept(model) ?? model;   // the network validated and returned
        var parameters = model.parameters().Concat(_loss.Parameters()).ToArray();
        using var optimizer = CreateOptimizer(_o, parameters);
        using var transfer = _o.TransferSet is { Augmentations: not TransferAugmentation.Adversarial } ts ? new TransferSetSource(ts, train, std, seed, CnnArchitecture.ImageShapeOf(_o.Architecture)) : null;
        using var adversarial = AdversarialTransferSource.Create(_o.TransferSet, train, seed);

        var rng = new Random(seed);
        long n = source.Rows;
        int batch = source.Capacity;
        int stepsPerEpoch = source.StepsPerEpoch;
        _epochs = EffectiveEpochs(_o, n);
        if (_epochs > _o.Epochs)
            _log($"Training {_epochs} epochs instead of {_o.Epochs}: {n} rows make {stepsPerEpoch} steps per epoch, and a fit makes at least {_o.EffectiveMinimumSteps} (StudentOptions.MinimumSteps{(_o.MinimumSteps is null ? ", the default while Epochs is not set" : "")}).");
        if (phase is not null) _epochs = phase.Run(model, source, rng, _epochs, _o, _log);
        long totalSteps = (long)stepsPerEpoch * _epochs, step = 0;
        if (_o.Streaming?.MaxSteps is long budget && budget < totalSteps)
        {
            _log($"Stopping after {budget} steps (StudentOptions.Streaming.MaxSteps) instead of {totalSteps}: {(double)budget / stepsPerEpoch:0.###} epochs; the schedule spans them.");
            (totalSteps, _epochs) = (budget, (int)((budget + stepsPerEpoch - 1) / stepsPerEpoch));
        }
        var strategyReport = Strategy is null ? null : StrategyReport(givenRows ?? train.Rows, train, totalSteps);
        var rowWeights = Strategy?.RowWeights;
        if (strategyReport is not null) _log($"Data strategy {Strategy!.Describe(strategyReport)}.");
        double best = double.NegativeInfinity, bestGroundTruth = double.NegativeInfinity;
        int sinceBest = 0;
        StudentNetwork? bestNetwork = null, bestGroundTruthNetwork = null;
        var task = train.Task;

        var checkpoints = FitCheckpoints.For(_o, CheckpointFingerprint.Of(_o, _loss, train, source.Rows, validation, seed, _epochs, totalSteps, mean, std), model, _loss, optimizer, meanTeacher, _log);
        var resumed = checkpoints?.Resume();
        if (resumed is { } at)
        {
            (step, best, bestGroundTruth, sinceBest, bestNetwork, bestGroundTruthNetwork) = (at.Step, at.Best, at.BestGroundTruth, at.SinceBest, at.BestNetwork, at.BestGroundTruthNetwork);
            History.AddRange(at.History);
            if (at.Stop == CheckpointStop.TeacherHacking) return bestGroundTruthNetwork ?? kept.ToNetwork();
            if (at.Stop == CheckpointStop.None && at.Epoch < _epochs) FitCheckpoints.ReplayEpochs(source, rng, at.Epoch);   // the batch order is a function of the seed and the epoch
        }

        for (int epoch = resumed is { Stop: CheckpointStop.None } ? resumed.Epoch : resumed is null ? 0 : _epochs; epoch < _epochs; epoch++)
        {
            var watch = Stopwatch.StartNew();
            var studentTime = TimeSpan.Zero;
            model.train();
            source.StartEpoch(rng);
            if (Strategy is { Resamples: true }) Strategy.Resample(source.Plan!.Order, rng);
            if (transfer is not null) transfer.StartEpoch(source.Plan!.Order, batch);
            var termSums = new Dictionary<string, double>();
            double lossSum = 0, lr = 0;
            long correct = 0, labelled = 0;
            int firstStep = 0;
            var before = TimeSpan.Zero;   // of this epoch, in the run that wrote the checkpoint
            if (resumed is { StepInEpoch: > 0 } mid && epoch == mid.Epoch)
            {
                (firstStep, termSums, lossSum, lr, correct, labelled, studentTime, before) =
                    (mid.StepInEpoch, mid.TermSums.ToDictionary(), mid.LossSum, mid.LearningRate, mid.Correct, mid.Labelled, mid.StudentTime, mid.EpochElapsed);
                FitCheckpoints.SkipBatches(source, firstStep);
            }
            int steps = (int)Math.Min(stepsPerEpoch, totalSteps - (step - firstStep));
            for (int stepInEpoch = firstStep; stepInEpoch < steps; stepInEpoch++)
            {
                _o.CancellationToken.ThrowIfCancellationRequested();
                var synthetic = transfer?.Next(stepInEpoch);
                var studentWatch = Stopwatch.StartNew();
                using var scope = NewDisposeScope();
                var rows = source.Next(stepInEpoch);
                var x = rows.Features;
                var y = rows.Labels;
                var t = rows.Teacher;
                synthetic ??= adversarial?.Next(model, x, y, t!);
                if (synthetic is { } syn)
                {
                    x = cat([x, tensor(syn.Features, [syn.Rows, train.FeatureCount])], 0);
                    y = cat([y, full(syn.Rows, -1L, ScalarType.Int64)], 0);
                    t = cat([t!, tensor(syn.Teacher, [syn.Rows, train.ClassCount])], 0);
                }
                if (meanTeacher is not null) (t, x) = (meanTeacher.Teach(x), meanTeacher.StudentView(x));
                lr = LearningRateAt(step, totalSteps, stepsPerEpoch);
                foreach (var g in optimizer.ParamGroups) g.LearningRate = lr;

                var layers = new List<Tensor>();
                var features = model.Layers(x, layers);
                var logits = model.Head(features);
                var ctx = new LossContext
                {
                    StudentLogits = logits, Teacher = t, TeacherKind = train.TeacherKind, Task = task, Targets = rows.Targets, GroupIds = rows.GroupIds,
                    TeacherExtras = rows.Extras, StudentLayers = layers, TransferRows = synthetic?.Rows ?? 0,
                    Labels = y, Features = x, Penultimate = features, MainHead = model.Head, Heads = model.ExtraHeads(features),
                    Epoch = epoch, TotalEpochs = _epochs, Step = step, Training = true,
                    RowWeights = rowWeights is null ? null : BatchWeights(rowWeights, source.Plan!.Batch(stepInEpoch), synthetic?.Rows ?? 0),
                };
                var terms = rows.SeparateTeachers.Length == 0 ? _loss.Compute(ctx) : PerTeacherTerms(ctx, rows.SeparateTeachers, train);
                var total = terms.Total;
                optimizer.zero_grad();
                total.backward();
                optimizer.step();
                meanTeacher?.Update();
                step++;

                double totalValue = total.item<float>();
                if (!double.IsFinite(totalValue))
                    throw new InvalidOperationException($"The loss became {totalValue} at epoch {epoch + 1}, step {step} ({_loss.Name}). Lower StudentOptions.LearningRate or check the teacher outputs and features for extreme values.");
                lossSum += totalValue;
                foreach (var (name, value) in terms.ToValues()) termSums[name] = termSums.GetValueOrDefault(name) + value;
                if (task is DistillationTask.MulticlassClassification or DistillationTask.BinaryClassification)
                {
                    var (right, counted) = TrainAccuracy.Count(logits, y, task);
                    correct += right;
                    labelled += counted;
                }
                studentTime += studentWatch.Elapsed;
                if (checkpoints?.DueAfterStep(step, stepInEpoch + 1 == steps) == true)
                    checkpoints.Save(new LoopCheckpoint
                    {
                        Epoch = epoch, StepInEpoch = stepInEpoch + 1, Step = step, LossSum = lossSum, LearningRate = lr, Correct = correct, Labelled = labelled,
                        TermSums = termSums.ToArray(), StudentTime = studentTime, EpochElapsed = before + watch.Elapsed, Best = best, BestGroundTruth = bestGroundTruth,
                        SinceBest = sinceBest, BestNetwork = bestNetwork, BestGroundTruthNetwork = bestGroundTruthNetwork, History = History.ToArray(),
                    });
            }

            var progress = new EpochProgress
            {
                Epoch = epoch + 1, TotalEpochs = _epochs, Loss = lossSum / steps, LearningRate = lr,
                LossTerms = termSums.ToDictionary(kv => kv.Key, kv => kv.Value / steps),
                TrainAccuracy = labelled > 0 ? correct / (double)labelled : double.NaN,
                StudentTime = studentTime, TeacherTime = (transfer?.TakeTeacherTime() ?? TimeSpan.Zero) + (adversarial?.TakeTeacherTime() ?? TimeSpan.Zero),
            };
            bool stopForHacking = false;
            if (validation is not null)
            {
                model.eval();
                progress = Evaluate(kept, validation, progress);
                if (_loss.NeedsHeldOutData) LearnFromHeldOut(model, validation, epoch, step);
                if (Strategy is { NeedsValidationOutputs: true }) Strategy.AfterEpoch(validation, Outputs(kept, validation, _o.CancellationToken), epoch, _log);
                double score = Score(progress);
                if (score > best)
                {
                    best = score;
                    sinceBest = 0;
                    bestNetwork = kept.ToNetwork();
                    progress = progress with { IsBest = true };
                }
                else sinceBest++;
                if (!double.IsNaN(progress.ValidationLogLoss) && -progress.ValidationLogLoss > bestGroundTruth)
                {
                    bestGroundTruth = -progress.ValidationLogLoss;
                    bestGroundTruthNetwork = progress.IsBest ? bestNetwork : kept.ToNetwork();
                }
                if (TeacherHackingSuspected(progress))
                {
                    progress = progress with { TeacherHackingSuspected = true };
                    _warn($"Teacher hacking suspected at epoch {epoch + 1}: over the last {_o.TeacherHackingWindow} epochs the validation KL to the teacher fell " +
                          $"({History[^_o.TeacherHackingWindow].ValidationTeacherKl:F4} → {progress.ValidationTeacherKl:F4}) while the ground-truth log-loss rose " +
                          $"({History[^_o.TeacherHackingWindow].ValidationLogLoss:F4} → {progress.ValidationLogLoss:F4}). The student is fitting the teacher's errors; " +
                          "consider fewer epochs, more labelled rows, a lower distillation weight, or StopOnTeacherHacking = true.");
                    stopForHacking = _o.StopOnTeacherHacking;
                }
            }
            progress = progress with { Elapsed = before + watch.Elapsed, DataStrategy = strategyReport is null ? null : Strategy!.Describe(strategyReport) };
            History.Add(progress);
            _log(progress.ToString());
            _o.Progress?.Invoke(progress);
            bool stopEarly = validation is not null && _o.EarlyStoppingPatience is int patience && sinceBest >= patience;
            var stop = stopForHacking ? CheckpointStop.TeacherHacking : stopEarly ? CheckpointStop.EarlyStopping : CheckpointStop.None;
            if (checkpoints?.DueAtEpochEnd(epoch + 1, _epochs, step, stop) == true)
                checkpoints.Save(new LoopCheckpoint
                {
                    Epoch = epoch + 1, StepInEpoch = 0, Step = step, Stop = stop, Best = best, BestGroundTruth = bestGroundTruth, SinceBest = sinceBest,
                    BestNetwork = bestNetwork, BestGroundTruthNetwork = bestGroundTruthNetwork, History = History.ToArray(),
                });
            if (stopForHacking)
            {
                _log($"Stopping at epoch {epoch + 1} on suspected teacher hacking; keeping the weights with the best ground-truth validation log-loss.");
                return bestGroundTruthNetwork ?? kept.ToNetwork();
            }
            if (stopEarly)
            {
                _log($"Early stopping after epoch {epoch + 1}: no improvement of {_o.EarlyStoppingMetric} for {_o.EarlyStoppingPatience} epochs; keeping epoch {History.Last(h => h.IsBest).Epoch}.");
                break;
            }
        }
        return bestNetwork ?? kept.ToNetwork();
    }

    /// <summary>What the strategy kept and the steps it plans, against the same options on all <paramref name="givenRows"/> rows.</summary>
    private DataStrategyReport StrategyReport(int givenRows, TrainingSet used, long steps)
    {
        int batch = Math.Max(1, Math.Min(_o.BatchSize, givenRows));
        long without = (long)EffectiveEpochs(_o, givenRows) * ((givenRows + batch - 1) / batch);
        return new DataStrategyReport
        {
            Strategy = Strategy!.Strategy.Name, TrainingRows = givenRows, RowsUsed = used.Rows, Steps = steps, StepsWithoutStrategy = without,
            TeacherRowsUsed = used.HasTeacher ? used.Rows : 0,
        };
    }

    /// <summary>The loss weights of a batch's rows, then 1 for each of its <paramref name="synthetic"/> transfer rows.</summary>
    private static Tensor BatchWeights(float[] weights, ReadOnlySpan<int> rows, int synthetic)
    {
        var w = new float[rows.Length + synthetic];
        for (int i = 0; i < rows.Length; i++) w[i] = weights[rows[i]];
        w.AsSpan(rows.Length).Fill(1f);
        return tensor(w);
    }

    /// <summary>The fit to the teacher improved over the window while the ground truth got worse (both on validation rows).</summary>
    private bool TeacherHackingSuspected(EpochProgress current)
    {
        int w = _o.TeacherHackingWindow;
        if (w <= 0 || History.Count < w || double.IsNaN(current.ValidationTeacherKl) || double.IsNaN(current.ValidationLogLoss)) return false;
        var past = History[^w];
        return current.ValidationTeacherKl < past.ValidationTeacherKl * 0.99 && current.ValidationLogLoss > past.ValidationLogLoss * 1.01;
    }

    /// <summary>
    /// Several teachers kept separate: the loss once per teacher (that teacher as <see cref="LossContext.Teacher"/>, all of
    /// them in <see cref="LossContext.Teachers"/>), each term summed over the teachers with their weights, so that a term keeps
    /// its name in the logs and the total is Σᵢ wᵢ·loss(student, teacherᵢ).
    /// </summary>
    private LossTerms PerTeacherTerms(LossContext shared, Tensor[] teachers, TrainingSet set)
    {
        if (_loss.UsesAllTeachers) return _loss.Compute(With(shared, shared.Teacher, shared.TeacherKind, teachers, set.TeacherWeights));
        var sums = new List<KeyValuePair<string, Tensor>>();
        for (int i = 0; i < teachers.Length; i++)
        {
            var terms = _loss.Compute(With(shared, teachers[i], set.TeacherKinds[i], teachers, set.TeacherWeights));
            foreach (var (name, value) in terms.Terms)
            {
                var weighted = value * set.TeacherWeights[i];
                int at = sums.FindIndex(t => t.Key == name);
                if (at < 0) sums.Add(new(name, weighted));
                else sums[at] = new(name, sums[at].Value + weighted);
            }
        }
        var result = new LossTerms();
        foreach (var (name, value) in sums) result.Add(name, value);
        return result;
    }

    /// <summary>A copy of <paramref name="shared"/> with the given teacher(s).</summary>
    private static LossContext With(LossContext shared, Tensor? teacher, TeacherOutputKind kind, Tensor[] teachers, IReadOnlyList<double> weights) => new()
    {
        StudentLogits = shared.StudentLogits, Teacher = teacher, TeacherKind = kind, Teachers = teachers, TeacherWeights = weights,
        Task = shared.Task, Targets = shared.Targets, GroupIds = shared.GroupIds, Labels = shared.Labels, Features = shared.Features,
        Penultimate = shared.Penultimate, MainHead = shared.MainHead, Heads = shared.Heads, TeacherExtras = shared.TeacherExtras, StudentLayers = shared.StudentLayers,
        TransferRows = shared.TransferRows, Epoch = shared.Epoch, TotalEpochs = shared.TotalEpochs, Step = shared.Step, Training = shared.Training,
    };

    private double Score(EpochProgress p) => _o.EarlyStoppingMetric switch
    {
        EarlyStoppingMetric.LogLoss when !double.IsNaN(p.ValidationLogLoss) => -p.ValidationLogLoss,
        EarlyStoppingMetric.TeacherAgreement when !double.IsNaN(p.ValidationTeacherAgreement) => p.ValidationTeacherAgreement,
        _ when !double.IsNaN(p.ValidationAccuracy) => p.ValidationAccuracy,
        _ when !double.IsNaN(p.ValidationRmse) => -p.ValidationRmse,
        _ when !double.IsNaN(p.ValidationNdcg) => p.ValidationNdcg,
        _ when !double.IsNaN(p.ValidationTeacherRmse) => -p.ValidationTeacherRmse,
        _ when !double.IsNaN(p.ValidationTeacherCosine) => p.ValidationTeacherCosine,
        _ when !double.IsNaN(p.ValidationTeacherAgreement) => p.ValidationTeacherAgreement,
        _ => -p.Loss,
    };

    /// <summary>Rows per forward pass when evaluating or learning from the validation rows.</summary>
    private const int EvaluationChunk = 1024;

    /// <summary>Validation metrics, computed chunk by chunk so that no tensor holds all validation rows.</summary>
    private EpochProgress Evaluate(MlpStudent model, TrainingSet v, EpochProgress p)
    {
        if (v.Task != DistillationTask.MulticlassClassification) return TaskMetrics.Compute(v, Outputs(model, v, _o.CancellationToken), _loss.PredictsThroughSigmoid, p);
        using var _ = no_grad();
        using var chunks = new BatchTensors(v, Math.Min(EvaluationChunk, v.Rows));
        long labelled = 0, correct = 0, agreeing = 0;
        double nllSum = 0, klSum = 0;
        for (int start = 0; start < v.Rows; start += chunks.Capacity)
        {
            _o.CancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var rows = chunks.FillRange(start, Math.Min(chunks.Capacity, v.Rows - start));
            var logits = model.forward(rows.Features);
            var logp = nn.functional.log_softmax(logits, 1);
            var y = rows.Labels;
            var mask = y.ge(0);
            long n = mask.sum().item<long>();
            labelled += n;
            if (n > 0)
            {
                correct += logits.argmax(1).eq(y).logical_and(mask).sum().item<long>();
                var nll = -logp.gather(1, y.clamp_min(0).unsqueeze(1)).squeeze(1);
                nllSum += (nll * mask.to_type(ScalarType.Float32)).sum().item<float>();
            }
            if (rows.Teacher is { } t)
            {
                var logpt = LossContext.LogSoftmaxOf(t, v.TeacherKind, 1.0);
                agreeing += logits.argmax(1).eq(t.argmax(1)).sum().item<long>();
                klSum += (logpt.exp() * (logpt - logp)).sum().item<float>();
            }
        }
        return p with
        {
            ValidationAccuracy = labelled > 0 ? correct / (double)labelled : double.NaN,
            ValidationLogLoss = labelled > 0 ? nllSum / labelled : double.NaN,
            ValidationTeacherAgreement = v.HasTeacher ? agreeing / (double)v.Rows : double.NaN,
            ValidationTeacherKl = v.HasTeacher ? klSum / v.Rows : double.NaN,
        };
    }

    /// <summary>The student's outputs on every row of <paramref name="v"/>, row-major [rows, C], computed chunk by chunk.</summary>
    internal static float[] Outputs(MlpStudent model, TrainingSet v, CancellationToken cancellation = default)
    {
        using var _ = no_grad();
        using var chunks = new BatchTensors(v, Math.Min(EvaluationChunk, v.Rows));
        var result = new float[(long)v.Rows * v.ClassCount];
        for (int start = 0; start < v.Rows; start += chunks.Capacity)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            int count = Math.Min(chunks.Capacity, v.Rows - start);
            var rows = chunks.FillRange(start, count);
            model.forward(rows.Features).contiguous().data<float>().CopyTo(result, start * v.ClassCount);
        }
        return result;
    }

    /// <summary>The outputs of a trained network (in training form) on every row of <paramref name="v"/>, row-major [rows, C].</summary>
    internal static float[] Outputs(StudentNetwork network, TrainingSet v)
    {
        using var model = MlpStudent.FromNetwork(network);
        model.eval();
        return Outputs(model, v);
    }

    private void LearnFromHeldOut(MlpStudent model, TrainingSet v, int epoch, long step)
    {
        int batch = Math.Min(_o.BatchSize, v.Rows);
        using var batches = new BatchTensors(v, batch);
        for (int start = 0; start < v.Rows; start += batch)
        {
            using var scope = NewDisposeScope();
            var rows = batches.FillRange(start, Math.Min(batch, v.Rows - start));
            var x = rows.Features;
            Tensor features, logits;
            Dictionary<string, Tensor> heads;
            var layers = new List<Tensor>();
            using (no_grad())
            {
                features = model.Layers(x, layers);
                logits = model.Head(features);
                heads = model.ExtraHeads(features);
            }
            _loss.LearnFromHeldOut(new LossContext
            {
                StudentLogits = logits, Teacher = rows.Teacher, TeacherKind = v.TeacherKind, Task = v.Task, Targets = rows.Targets, GroupIds = rows.GroupIds,
                Labels = rows.Labels, Features = x, Penultimate = features, TeacherExtras = rows.Extras, StudentLayers = layers,
                MainHead = model.Head, Heads = heads, Epoch = epoch, TotalEpochs = _epochs, Step = step, Training = false,
            });
        }
    }

    private double LearningRateAt(long step, long totalSteps, int stepsPerEpoch)
        => LearningRates.At(_o.Schedule, _o.LearningRate, step, totalSteps, (long)_o.WarmupEpochs * stepsPerEpoch);
}
