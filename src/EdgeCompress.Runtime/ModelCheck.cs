using Microsoft.ML.OnnxRuntime;

namespace EdgeCompress.Runtime;

/// <summary>Validates a model file the only way that counts on the board: ONNX Runtime must create a session from it.</summary>
public static class ModelCheck
{
    /// <summary>
    /// Creates (and disposes) a single-threaded session for <paramref name="path"/>; false with ONNX Runtime's reason
    /// when the file is not a model this runtime can run.
    /// </summary>
    public static bool TryValidate(string path, string displayName, out string? error)
    {
        try
        {
            using var session = OrtSessions.Open(path, SessionSettings.Inspect, displayName);
            error = null;
            return true;
        }
        catch (ModelRunException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    /// <summary>The ONNX Runtime version string.</summary>
    public static string OnnxRuntimeVersion => OrtEnv.Instance().GetVersionString();

    /// <summary>Execution providers this ONNX Runtime build offers.</summary>
    public static IReadOnlyList<string> AvailableProviders => OrtEnv.Instance().GetAvailableProviders();
}
