using System.CommandLine;
using EdgeCompress.Cli.Commands;
using EdgeCompress.Onnx;
using EdgeCompress.Runtime;

namespace EdgeCompress.Cli;

/// <summary>The edgec command tree. Commands write to the given writers so tests can run them in process.</summary>
public static class EdgecApp
{
    /// <summary>Exit code: the work succeeded.</summary>
    public const int ExitOk = 0;

    /// <summary>Exit code: the work ran but failed its own check (e.g. an accuracy budget was missed).</summary>
    public const int ExitCheckFailed = 1;

    /// <summary>Exit code: bad input or usage.</summary>
    public const int ExitUsage = 2;

    /// <summary>Exit code: interrupted (Ctrl-C).</summary>
    public const int ExitInterrupted = 130;

    /// <summary>Builds the root command with every verb. Each verb lives in Commands/ as a static Create(CliContext).</summary>
    public static RootCommand BuildRoot(CliContext ctx)
    {
        var root = new RootCommand("edgec: compress ONNX models for ARM edge boards and measure them on the device.");
        foreach (var command in AllCommands(ctx))
        {
            root.Subcommands.Add(command);
        }
        return root;
    }

    private static IEnumerable<Command> AllCommands(CliContext ctx)
    {
        // One line per verb; keep them in the order of ARCHITECTURE.md.
        yield return InspectCommand.Create(ctx);
        yield return QuantizeCommand.Create(ctx);
        yield return PruneCommand.Create(ctx);
        yield return FactorizeCommand.Create(ctx);
        yield return TrainCommand.Create(ctx);
        yield return DistillCommand.Create(ctx);
        yield return QatCommand.Create(ctx);
        yield return EvalCommand.Create(ctx);
        yield return DataCommand.Create(ctx);
        yield return OptimizeCommand.Create(ctx);
        yield return DevicesCommand.Create(ctx);
        yield return PushCommand.Create(ctx);
        yield return BenchCommand.Create(ctx);
        yield return ResultsCommand.Create(ctx);
        yield return ReportCommand.Create(ctx);
        yield return DemoCommand.Create(ctx);
    }

    /// <summary>Parses and runs one edgec invocation.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var ctx = new CliContext(stdout, stderr);
        var root = BuildRoot(ctx);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                await stderr.WriteLineAsync($"edgec: {e.Message}").ConfigureAwait(false);
            }
            return ExitUsage;
        }
        // Ctrl-C / SIGTERM cancel the command's token; a command gets 3 s to stop cleanly (temp files removed, nothing
        // half-written renamed into place, "edgec: interrupted" and 130 from Guarded) before the invocation returns 130
        // itself. System.CommandLine 2.0.0 leaves this null, which let the runtime kill edgec at once, mid-write.
        var config = new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = TimeSpan.FromSeconds(3) };
        return await parse.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The one choke point turning failures into what a user sees: bad input (usage, unreadable or malformed files)
    /// becomes one "edgec: ..." line and exit 2; work that could not do what was asked one line and exit 1; Ctrl-C exit
    /// 130; anything else is a fault, shown as one line with its type (the stack trace with EDGEC_DEBUG=1) and exit 1.
    /// Every command's action goes through here.
    /// </summary>
    public static Func<ParseResult, CancellationToken, Task<int>> Guarded(CliContext ctx, Func<ParseResult, CancellationToken, Task<int>> action) =>
        async (parse, ct) =>
        {
            try
            {
                return await action(parse, ct).ConfigureAwait(false);
            }
            catch (UsageException e)
            {
                await ctx.Error.WriteLineAsync($"edgec: {e.Message}").ConfigureAwait(false);
                return ExitUsage;
            }
            catch (OnnxFormatException e)
            {
                await ctx.Error.WriteLineAsync($"edgec: {e.Message}").ConfigureAwait(false);
                return ExitUsage;
            }
            catch (EdgeCompress.Data.DataException e)
            {
                await ctx.Error.WriteLineAsync($"edgec: {e.Message}").ConfigureAwait(false);
                return ExitUsage;
            }
            catch (ModelRunException e)
            {
                // ONNX Runtime refused the model or the data given for it: input the user can change.
                await ctx.Error.WriteLineAsync($"edgec: {e.Message.Split('\n', 2)[0].Trim()}").ConfigureAwait(false);
                return ExitUsage;
            }
            catch (EdgeCompress.Profiles.ProfileException e)
            {
                await ctx.Error.WriteLineAsync($"edgec: {e.Message}").ConfigureAwait(false);
                return ExitUsage;
            }
            catch (EdgeCompress.Compression.Passes.WorkFailedException e)
            {
                await ctx.Error.WriteLineAsync($"edgec: {e.Message}").ConfigureAwait(false);
                return ExitCheckFailed;
            }
            catch (OperationCanceledException)
            {
                await ctx.Error.WriteLineAsync("edgec: interrupted").ConfigureAwait(false);
                return ExitInterrupted;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A fault (a bug, or a runtime failure nobody mapped to a message): one line a user can report, the
                // stack trace only on request, and the exit code of work that failed.
                await ctx.Error.WriteLineAsync($"edgec: internal error: {e.GetType().Name}: {e.Message.Split('\n', 2)[0].Trim()} (set EDGEC_DEBUG=1 for the stack trace)").ConfigureAwait(false);
                if (Environment.GetEnvironmentVariable("EDGEC_DEBUG") is "1")
                {
                    await ctx.Error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
                }
                return ExitCheckFailed;
            }
        };
}
