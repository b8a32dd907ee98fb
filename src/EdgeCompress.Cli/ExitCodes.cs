using EdgeCompress.Compression.Passes;
using EdgeCompress.Fleet;
using EdgeCompress.Onnx;
using EdgeCompress.Profiles;
using EdgeCompress.Runtime;
using EdgeCompress.Training;

namespace EdgeCompress.Cli;

/// <summary>What a failure means to the user: the exit code and the one line printed for it.</summary>
/// <param name="Code">2 bad input or usage, 1 the work failed (or a fault), 130 interrupted.</param>
/// <param name="Line">The line after "edgec: ".</param>
/// <param name="Fault">True for a failure nobody mapped to a message (a bug): its stack trace is worth printing on request.</param>
public readonly record struct ExitOutcome(int Code, string Line, bool Fault = false);

/// <summary>
/// The one mapping from failures to exit codes (ARCHITECTURE.md: 0 ok, 1 the work failed its own check, 2 bad input
/// or usage; 130 interrupted). Libraries throw typed errors: <see cref="InputException"/> (with its kinds
/// <see cref="OnnxFormatException"/>, DataException and <see cref="UsageException"/>) and the input errors of the
/// projects that do not see it (profiles, ONNX Runtime refusing a model, a benchmark request, a device or inventory);
/// <see cref="WorkFailedException"/> for work that ran and failed. Everything else, ArgumentException included, is a fault.
/// </summary>
public static class ExitCodes
{
    /// <summary>Classifies <paramref name="e"/>.</summary>
    public static ExitOutcome Of(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e switch
        {
            OperationCanceledException => new(EdgecApp.ExitInterrupted, "interrupted"),
            InputException or ProfileException or BenchmarkException => new(EdgecApp.ExitUsage, First(e)),
            // ONNX Runtime refused the model or the data given for it: input the user can change.
            ModelRunException => new(EdgecApp.ExitUsage, First(e)),
            FleetException => new(EdgecApp.ExitUsage, First(e)),
            TrainingException { Kind: TrainingErrorKind.Input or TrainingErrorKind.Setup } => new(EdgecApp.ExitUsage, First(e)),
            TrainingException => new(EdgecApp.ExitCheckFailed, $"training failed: {First(e)}"),
            WorkFailedException => new(EdgecApp.ExitCheckFailed, First(e)),
            _ => new(EdgecApp.ExitCheckFailed, $"internal error: {e.GetType().Name}: {First(e)} (set EDGEC_DEBUG=1 for the stack trace)", Fault: true),
        };
    }

    private static string First(Exception e) => e.Message.Split('\n', 2)[0].Trim();
}
