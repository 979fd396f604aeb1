using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MLNet.Distillation;

/// <summary>
/// Finds the <see cref="MLContext"/> behind an ML.NET catalog. ML.NET keeps a catalog's environment internal, so a
/// third-party extension reads it by reflection; when that fails (a future ML.NET rename), a fresh context is used and
/// only the routing of log messages to the user's <c>MLContext.Log</c> is lost.
/// </summary>
internal static class HostEnvironment
{
    public static IHostEnvironment From(object catalog)
    {
        for (var type = catalog.GetType(); type is not null; type = type.BaseType)
        {
            foreach (var member in type.GetMembers(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
            {
                object? value = member switch
                {
                    PropertyInfo p when typeof(IHostEnvironment).IsAssignableFrom(p.PropertyType) && p.GetIndexParameters().Length == 0 => p.GetValue(catalog),
                    FieldInfo f when typeof(IHostEnvironment).IsAssignableFrom(f.FieldType) => f.GetValue(catalog),
                    _ => null,
                };
                if (value is IHostEnvironment env) return env;
            }
        }
        return new MLContext();
    }

    /// <summary>Writes an informational message to <c>MLContext.Log</c>.</summary>
    public static void Info(this IHostEnvironment env, string source, string message)
    {
        using var ch = env.Start(source);
        ch.Info(MessageSensitivity.None, message);
    }

    /// <summary>Writes a warning to <c>MLContext.Log</c>.</summary>
    public static void Warn(this IHostEnvironment env, string source, string message)
    {
        using var ch = env.Start(source);
        ch.Warning(MessageSensitivity.None, message);
    }
}
