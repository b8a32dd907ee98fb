namespace EdgeCompress.Training.Worker;

/// <summary>Writes protocol events as JSON lines on the real stdout; nothing else may write there.</summary>
internal sealed class EventSink
{
    private readonly TextWriter _out;
    private readonly Lock _gate = new();

    public EventSink(TextWriter stdout)
    {
        _out = stdout;
    }

    public void Progress(TrainingProgress p) => Write(new WorkerEvent { Type = "progress", Progress = p });

    public void Log(string message) => Write(new WorkerEvent { Type = "log", Message = message });

    public void Result(TrainingResult r) => Write(new WorkerEvent { Type = "result", Result = r });

    public void Error(string kind, string message) => Write(new WorkerEvent { Type = "error", ErrorKind = kind, Message = message });

    private void Write(WorkerEvent e)
    {
        var line = ProtocolJson.Line(e);
        lock (_gate)
        {
            _out.WriteLine(line);
        }
    }
}
