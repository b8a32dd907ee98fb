using EdgeCompress.Compression.Passes;
using EdgeCompress.Data;
using EdgeCompress.Fleet;
using EdgeCompress.Onnx;
using EdgeCompress.Profiles;
using EdgeCompress.Runtime;
using EdgeCompress.Training;

namespace EdgeCompress.Cli.Tests;

/// <summary>The one mapping from failures to exit codes: typed input errors are 2, failed work 1, Ctrl-C 130, and
/// everything else (a library's ArgumentException included: a bug, not bad input) a fault with exit 1.</summary>
public sealed class ExitCodesTests
{
    public static TheoryData<Exception> InputErrors() =>
    [
        new InputException("--channels must be a fraction in (0, 1), got 1.5"),
        new OnnxFormatException("m.onnx: not an ONNX model"),
        new DataException("photos: no such folder"),
        new UsageException("--out: required"),
        new ProfileException("rpi9: no such profile"),
        new ModelRunException("m.onnx: ONNX Runtime cannot load the model: bad node"),
        new BenchmarkException("iterations must be at least 1"),
        new FleetException(FleetProblem.Usage, "pi9: no such device"),
        new TrainingException(TrainingErrorKind.Input, "teacher.onnx: unsupported operator Foo"),
        new TrainingException(TrainingErrorKind.Setup, "the training worker is not built"),
    ];

    [Theory]
    [MemberData(nameof(InputErrors))]
    public void Typed_input_errors_exit_2_with_their_own_first_line(Exception e)
    {
        var outcome = ExitCodes.Of(e);

        Assert.Equal(EdgecApp.ExitUsage, outcome.Code);
        Assert.Equal(e.Message, outcome.Line);
        Assert.False(outcome.Fault);
    }

    [Fact]
    public void A_library_argument_exception_is_a_fault_not_bad_input()
    {
        var outcome = ExitCodes.Of(new ArgumentException("index was out of range"));

        Assert.Equal(EdgecApp.ExitCheckFailed, outcome.Code);
        Assert.True(outcome.Fault);
        Assert.Equal("internal error: ArgumentException: index was out of range (set EDGEC_DEBUG=1 for the stack trace)", outcome.Line);
    }

    [Fact]
    public void Failed_work_exits_1_and_a_fault_in_the_training_worker_says_training_failed()
    {
        Assert.Equal(new ExitOutcome(1, "accuracy dropped 3.1 points (budget 1.0)"), ExitCodes.Of(new WorkFailedException("accuracy dropped 3.1 points (budget 1.0)")));
        Assert.Equal(new ExitOutcome(1, "training failed: NaN loss at step 3"), ExitCodes.Of(new TrainingException(TrainingErrorKind.Fault, "NaN loss at step 3\nat frame 1")));
    }

    [Fact]
    public void Cancellation_exits_130()
    {
        Assert.Equal(new ExitOutcome(130, "interrupted"), ExitCodes.Of(new TaskCanceledException()));
    }
}
