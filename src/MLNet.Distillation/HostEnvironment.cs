using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MLNet.Distillation;

/// <summary>
/// The one place where the library reaches the user's ML.NET environment. ML.NET keeps a catalog's environment internal,
/// and a catalog holds ML.NET's <c>LocalEnvironment</c> rather than the user's <see cref="MLContext"/> (so
/// <c>env as MLContext</c> is always null): <see cref="From"/> reads the environment by reflection, and
/// <see cref="ToMLContext"/> turns it into the <see cref="MLContext"/> that components needing one (stock transforms and
/// trainers, binary data files) use — with the user's seed, temp-file folder and GPU settings, and every message it logs
/// forwarded to the user's <c>MLContext.Log</c>.
/// </summary>
internal static class HostEnvironment
{
    private const string InternalInterfaceName = "Microsoft.ML.Runtime.IHostEnvironmentInternal";
    private static readonly Type? InternalInterface = typeof(IHostEnvironment).Assembly.GetType(InternalInterfaceName);
    private static readonly ConditionalWeakTable<IHostEnvironment, MLContext> Contexts = new();

    /// <summary>The environment behind an ML.NET catalog (<c>mlContext.Transforms</c>, <c>mlContext.MulticlassClassification.Trainers</c> …).</summary>
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
        throw new InvalidOperationException(
            $"MLNet.Distillation could not find the ML.NET environment inside {catalog.GetType().FullName} (ML.NET {typeof(MLContext).Assembly.GetName().Version}). " +
            "This version of MLNet.Distillation is built for ML.NET 5.0; use the ML.NET version it references.");
    }

    /// <summary>
    /// The <see cref="MLContext"/> for <paramref name="env"/>: the user's own when <paramref name="env"/> is one, otherwise one
    /// context per environment (kept as long as the environment lives) with the environment's seed, and, on every call,
    /// its current temp-file folder and GPU settings; everything it logs goes to <paramref name="env"/>, and so to the
    /// user's <c>MLContext.Log</c>. When ML.NET no longer exposes those settings, the context keeps ML.NET's defaults and
    /// says so in the log once.
    /// </summary>
    public static MLContext ToMLContext(this IHostEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        if (env is MLContext user) return user;
        var context = Contexts.GetValue(env, Create);
        if (Setting(env, nameof(MLContext.TempFilePath)) is string tempPath) context.TempFilePath = tempPath;
        context.GpuDeviceId = Setting(env, nameof(MLContext.GpuDeviceId)) as int?;
        if (Setting(env, nameof(MLContext.FallbackToCpu)) is bool fallback) context.FallbackToCpu = fallback;
        return context;
    }

    private static MLContext Create(IHostEnvironment env)
    {
        var context = new MLContext(Setting(env, "Seed") as int?);
        context.Log += (_, e) => Forward(env, e);
        if (InternalInterface is null || !InternalInterface.IsInstanceOfType(env))
            env.Warn("MLNet.Distillation", $"The ML.NET environment ({env.GetType().FullName}) does not expose {InternalInterfaceName}: " +
                "the library's own ML.NET steps run without your MLContext's seed, temp-file folder and GPU settings (their messages still reach MLContext.Log).");
        return context;
    }

    /// <summary>A setting of ML.NET's internal environment interface (Seed, TempFilePath, GpuDeviceId, FallbackToCpu), or null when unavailable.</summary>
    private static object? Setting(IHostEnvironment env, string name)
        => InternalInterface is not null && InternalInterface.IsInstanceOfType(env) ? InternalInterface.GetProperty(name)?.GetValue(env) : null;

    private static void Forward(IHostEnvironment env, LoggingEventArgs e)
    {
        using var ch = env.Start(string.IsNullOrEmpty(e.Source) ? "MLNet.Distillation" : e.Source);
        switch (e.Kind)
        {
            case ChannelMessageKind.Trace: ch.Trace(MessageSensitivity.None, e.RawMessage); break;
            case ChannelMessageKind.Warning: ch.Warning(MessageSensitivity.None, e.RawMessage); break;
            case ChannelMessageKind.Error: ch.Error(MessageSensitivity.None, e.RawMessage); break;
            default: ch.Info(MessageSensitivity.None, e.RawMessage); break;
        }
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
