using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using EdgeCompress.Training;
using EdgeCompress.Training.Worker;

// The training worker: reads one WorkerRequest JSON line on stdin, answers with WorkerEvent lines on stdout.
// stdout belongs to the protocol; diagnostics go to stderr. Exit code 0 = result sent, 2 = input error, 1 = fault.
var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
Console.SetOut(Console.Error);
var events = new EventSink(stdout);
using var cancel = new CancellationTokenSource();
// Ctrl-C reaches the whole process group: stop at the next step boundary and leave a checkpoint.
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cancel.Cancel(); });
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cancel.Cancel(); });

var line = Console.In.ReadLine();
if (line is null)
{
    events.Error("input", "no request on stdin");
    return 2;
}
WorkerRequest? request;
try
{
    request = JsonSerializer.Deserialize(line, ProtocolJson.Default.WorkerRequest);
}
catch (JsonException e)
{
    events.Error("input", $"malformed request: {e.Message}");
    return 2;
}
if (request is null)
{
    events.Error("input", "empty request");
    return 2;
}
// Later stdin lines: "cancel", or end of input when the client goes away.
var watcher = new Thread(() =>
{
    string? l;
    while ((l = Console.In.ReadLine()) is not null && l.Trim() != "cancel")
    {
    }
    cancel.Cancel();
}) { IsBackground = true };
watcher.Start();
// Diagnostics: EDGEC_WORKER_GC_STRESS=1 collects garbage and runs finalizers on another thread without pause, so a
// Scalar or tensor that libtorch reads after .NET may free it crashes within seconds instead of once in many runs.
if (Environment.GetEnvironmentVariable("EDGEC_WORKER_GC_STRESS") is "1")
{
    new Thread(() =>
    {
        while (true)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(1);
        }
    }) { IsBackground = true }.Start();
}

try
{
    TorchRuntime.Configure(request.Threads, request.Seed);
    var result = new Jobs(request, events, cancel.Token).Run();
    events.Result(result);
    return 0;
}
catch (TrainingInputException e)
{
    events.Error("input", e.Message);
    return 2;
}
catch (TrainingFailedException e)
{
    events.Error("failed", e.Message);
    return 1;
}
catch (OperationCanceledException)
{
    events.Result(new TrainingResult { Cancelled = true });
    return 0;
}
catch (Exception e) when (e is not OutOfMemoryException)
{
    events.Error("fault", FaultLine(e));
    Console.Error.WriteLine(e);
    return 1;
}

// libtorch's messages run to dozens of native frames; the first line and where in the worker it came from say more.
static string FaultLine(Exception e)
{
    var first = e.Message.Split('\n', 2)[0].Trim();
    var where = new System.Diagnostics.StackTrace(e, false).GetFrames()
        .Select(f => f.GetMethod())
        .FirstOrDefault(m => m?.DeclaringType?.Namespace?.StartsWith("EdgeCompress", StringComparison.Ordinal) == true);
    return where is null ? $"{e.GetType().Name}: {first}" : $"{e.GetType().Name}: {first} (in {where.DeclaringType!.Name}.{where.Name})";
}
