using Microsoft.ML;

namespace MLNet.Distillation.Teachers;

/// <summary>
/// One batch slot of a <see cref="BatchPipeline"/>: the teacher's input and output buffers for up to <c>Capacity</c> rows
/// (a <see cref="TeacherBatchRunner"/>), the fillers that copy upstream rows into them, and the slot's range in the shared
/// pass-through <see cref="ColumnBuffer"/>s.
/// </summary>
internal sealed class TeacherBatch : IDisposable
{
    private readonly IInputFiller[] _fillers;
    private readonly ColumnBuffer[] _columns;

    public TeacherBatch(int index, TeacherBatchRunner runner, DataViewRow upstream, ColumnBuffer[] columns)
    {
        Index = index;
        Runner = runner;
        _fillers = runner.CreateFillers(upstream);
        _columns = columns;
    }

    /// <summary>Position of the slot; its rows are entries <c>Index × Capacity …</c> of the column buffers.</summary>
    public int Index { get; }

    public TeacherBatchRunner Runner { get; }

    public int Capacity => Runner.Capacity;

    /// <summary>True once the teacher has scored the slot's current rows (guarded by the owning <see cref="BatchPipeline"/>).</summary>
    public bool IsScored { get; set; }

    /// <summary>Rows in the slot after the last <see cref="Fill"/>.</summary>
    public int Count { get; private set; }

    /// <summary>Reads up to <see cref="Capacity"/> rows from <paramref name="upstream"/> into the slot; returns how many.</summary>
    public int Fill(DataViewRowCursor upstream)
    {
        int n = 0, first = Index * Capacity;
        while (n < Capacity && upstream.MoveNext())
        {
            foreach (var f in _fillers) f.Fill(n);
            foreach (var c in _columns) c.Load(first + n);
            n++;
        }
        Count = n;
        return n;
    }

    /// <summary>Runs the teacher on the slot's rows.</summary>
    public void Score() => Runner.Run(Count);

    public void Dispose() => Runner.Dispose();
}
