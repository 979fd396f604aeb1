using System.Reflection;
using System.Runtime.ExceptionServices;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// Writes a data view in ML.NET's binary format in exactly one pass. <c>mlContext.Data.SaveAsBinary</c> first reads up to
/// 8,192 rows to size its blocks — for a teacher pass that would run the teacher on those rows twice. ML.NET's
/// <c>BinarySaver</c> accepts a fixed number of rows per block instead, but keeps the class internal; it is reached by
/// reflection (its constructor and <c>SaveData</c> have been stable since ML.NET 1.0). Should that fail, the public
/// <c>SaveAsBinary</c> writes the same format, at the cost of the extra partial pass, and a warning says so.
/// </summary>
internal static class BinaryDataWriter
{
    private static readonly Type? SaverType = typeof(BinaryLoaderSaverCatalog).Assembly.GetType("Microsoft.ML.Data.IO.BinarySaver");
    private static readonly Type? ArgumentsType = SaverType?.GetNestedType("Arguments", BindingFlags.Public | BindingFlags.NonPublic);

    /// <summary>Writes every column of <paramref name="data"/> to <paramref name="stream"/> (seekable, at position 0).</summary>
    public static void Write(IHostEnvironment env, IDataView data, Stream stream, int rowsPerBlock)
    {
        var saver = TryCreateSaver(env, rowsPerBlock);
        var save = SaverType?.GetMethod("SaveData", BindingFlags.Public | BindingFlags.Instance, [typeof(Stream), typeof(IDataView), typeof(int[])]);
        if (saver is null || save is null)
        {
            env.Warn("Distill", "ML.NET's binary saver could not be configured for a single pass; writing the soft-label cache with SaveAsBinary, " +
                "which runs the teacher twice over the first rows.");
            env.ToMLContext().Data.SaveAsBinary(data, stream, keepHidden: true);
            return;
        }
        try
        {
            save.Invoke(saver, [stream, data, Enumerable.Range(0, data.Schema.Count).ToArray()]);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
        }
    }

    private static object? TryCreateSaver(IHostEnvironment env, int rowsPerBlock)
    {
        if (SaverType is null || ArgumentsType is null) return null;
        try
        {
            var args = Activator.CreateInstance(ArgumentsType);
            var maxRows = ArgumentsType.GetField("MaxRowsPerBlock");
            var maxBytes = ArgumentsType.GetField("MaxBytesPerBlock");
            var silent = ArgumentsType.GetField("Silent");
            var ctor = SaverType.GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, [typeof(IHostEnvironment), ArgumentsType]);
            if (args is null || maxRows is null || maxBytes is null || ctor is null) return null;
            maxRows.SetValue(args, (int?)rowsPerBlock);
            maxBytes.SetValue(args, null);
            silent?.SetValue(args, true);
            return ctor.Invoke([env, args]);
        }
        catch (Exception e) when (e is TargetInvocationException or ArgumentException or MemberAccessException or InvalidCastException)
        {
            return null;
        }
    }
}
