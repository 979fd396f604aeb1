using Microsoft.ML;
using MLNet.Distillation.Export;

namespace MLNet.Distillation;

public static partial class DistillationCatalog
{
    /// <summary>
    /// Loads a saved model that holds a student, after checking that the file is whole: a truncated or otherwise unreadable
    /// zip, and a student graph whose weights changed since it was saved (its SHA-256 is recorded inside), are refused
    /// with an <see cref="InvalidDataException"/> that names the file. Otherwise the same as <c>mlContext.Model.Load</c>,
    /// which still loads such a model without this library (and without the check).
    /// </summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="filePath">The model zip written by <c>mlContext.Model.Save</c>.</param>
    /// <param name="inputSchema">The input schema the model was saved with.</param>
    /// <returns>
    /// The loaded model; dispose it when done (ML.NET keeps a temporary copy of the student graph until then — what is not
    /// disposed is disposed when the process exits).
    /// </returns>
    public static ITransformer LoadStudent(this ModelOperationsCatalog catalog, string filePath, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        var env = HostEnvironment.From(catalog);
        SavedStudentCheck.Verify(filePath, message => env.Warn("LoadStudent", message));
        try
        {
            var model = catalog.Load(filePath, out inputSchema);
            DisposeAtExit.RegisterParts(model);
            return model;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"Model file '{filePath}' could not be loaded by ML.NET ({e.Message.Split('\n')[0].Trim()}): it is damaged, " +
                "or was saved by an ML.NET version this one cannot read. Copy it again from where it was saved, or save the model again.", e);
        }
    }
}
