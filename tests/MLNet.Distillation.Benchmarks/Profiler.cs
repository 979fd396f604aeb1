using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Distillation.Teachers;

namespace MLNet.Distillation.Benchmarks;

/// <summary>
/// Where a Distill pass spends its time, stage by stage, on the caller's thread: reading the upstream cursor and copying
/// teacher inputs into the batch buffers, ONNX Runtime, and handing each row's output to the consumer.
/// </summary>
internal static class Profiler
{
    public static void Run(BenchmarkTeacher teacher, BenchmarkData data, BenchmarkOptions options, int batchSize)
    {
        var ml = new MLContext(seed: 1);
        var source = ml.Data.LoadFromEnumerable(data.Rows);
        using var transformer = ml.Transforms.Distill(new DistillOptions
        {
            TeacherModelPath = teacher.ModelPath, InputColumnName = "Features", OutputColumns = { [teacher.OutputName] = "Teacher" }, BatchSize = batchSize,
            GpuDeviceId = options.GpuDeviceId, FallbackToCpu = false, IntraOpNumThreads = options.IntraOpThreads,
        }).Fit(source);
        var inputs = TeacherBinder.BindInputs(transformer.Model, new DistillOptions { InputColumnName = "Features" }, source.Schema);
        var outputs = new[] { new OutputBinding(teacher.OutputName, "Teacher", (int)transformer.Model.Outputs.First(o => o.Name == teacher.OutputName).Dimensions.Skip(1).Aggregate(1L, (a, b) => a * b), Losses.TeacherOutputKind.Logits, [transformer.Model.Outputs.First(o => o.Name == teacher.OutputName).Dimensions.Skip(1).Aggregate(1L, (a, b) => a * b)]) };
        for (int pass = 0; pass < 1 + options.Repeats; pass++)
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            var read = new Stopwatch();
            var run = new Stopwatch();
            var serve = new Stopwatch();
            using var runner = new TeacherBatchRunner(transformer.Model, inputs, outputs, batchSize, _ => { });
            using var cursor = source.GetRowCursor([source.Schema["Features"]]);
            var fillers = runner.CreateFillers(cursor);
            int rows = 0;
            float sink = 0;
            var total = Stopwatch.StartNew();
            while (true)
            {
                read.Start();
                int n = 0;
                while (n < batchSize && cursor.MoveNext())
                {
                    foreach (var f in fillers) f.Fill(n);
                    n++;
                }
                read.Stop();
                if (n == 0) break;
                run.Start();
                runner.Run(n);
                run.Stop();
                serve.Start();
                var buffer = runner.OutputBuffers[0];
                int size = outputs[0].RowSize;
                for (int i = 0; i < n; i++) sink += buffer[i * size];
                serve.Stop();
                rows += n;
            }
            total.Stop();
            if (pass == 0) continue;   // warm-up
            double us(Stopwatch s) => s.Elapsed.TotalMicroseconds / rows;
            Console.WriteLine($"  profile {teacher.Name} batch {batchSize}: {rows / total.Elapsed.TotalSeconds,10:N0} rows/s | per row: upstream read + copy {us(read):0.000} µs, " +
                $"ONNX Runtime {us(run):0.000} µs, serve {us(serve):0.000} µs | allocated {(GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)rows:0.0} B/row");
        }
    }
}
