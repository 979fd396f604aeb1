using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Distillation;

/// <summary>
/// Builds <see cref="SchemaShape.Column"/> values for <c>IEstimator.GetOutputSchema</c>. ML.NET keeps the column constructor
/// internal; third-party estimators reach it by reflection (its signature has been stable since ML.NET 1.0).
/// </summary>
internal static class SchemaShapes
{
    private static readonly ConstructorInfo Ctor = typeof(SchemaShape.Column)
        .GetConstructors(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
        .Single(c => c.GetParameters().Length == 5);

    public static SchemaShape.Column Column(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey, SchemaShape? annotations = null)
        => (SchemaShape.Column)Ctor.Invoke([name, kind, itemType, isKey, annotations]);

    /// <summary>A float vector column of known size.</summary>
    public static SchemaShape.Column FloatVector(string name) => Column(name, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false);
}
