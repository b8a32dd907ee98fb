using System.Globalization;
using System.Runtime.InteropServices;
using EdgeCompress.Compression.Evaluation;
using EdgeCompress.Compression.Execution;
using EdgeCompress.Data;
using EdgeCompress.Fleet;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;
using EdgeCompress.Protocol;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCompress.Cli.Commands;

/// <summary>
/// `bench --data SPEC`: turns the user's data into an input set (the same loaders and preprocessing as eval and the
/// quality guard), computes the host's outputs for it, and afterwards judges each device's outputs against them
/// per output, with the guard's measures and limits. ARM int8 kernels are not x86's: a model that agrees on the
/// laptop can disagree on the board, and this is where that shows.
/// </summary>
internal static class BenchData
{
    /// <summary>Samples taken when the spec does not say (@N).</summary>
    public const int DefaultSamples = 32;

    /// <summary>The input set and the host's outputs for it (one batch-1 sample per data row).</summary>
    public sealed record Prepared(InputSetFile Set, IReadOnlyList<IReadOnlyList<RunOutput>> HostOutputs, string HostDescription);

    /// <summary>
    /// Reads the data for <paramref name="model"/> and runs it here; data errors name the spec. The inputs and the
    /// host's outputs kept for comparing stay within <paramref name="memoryBound"/> (default: calibration's, a 16th of
    /// the memory .NET sees, 512 MiB to 2 GiB): without @N the set ends where it would pass it, and says so; an @N that
    /// does not fit is refused, naming the count that does. A dense 1024x1024 segmentation output is 84 MiB a sample.
    /// </summary>
    public static Prepared Prepare(OnnxModel model, string modelPath, DataSpec spec, TextWriter notes, long? memoryBound = null)
    {
        var bound = memoryBound ?? EdgeCompress.Compression.Quantization.Calibrator.DefaultMemoryBound;
        using var runner = ModelRunner.Create(model, Path.GetFileName(modelPath));
        if (spec.PreprocessFor(runner.Inputs) is { } preprocess)
        {
            notes.WriteLine($"images of {spec.Text}: {preprocess.Describe()}");
        }

        var take = spec.Count ?? DefaultSamples;
        if (spec.Count is null)
        {
            notes.WriteLine($"data {spec.Text}: at most {DefaultSamples} samples are sent (add @N to the spec for another count)");
        }

        var samples = new List<IReadOnlyList<WireTensor>>();
        var host = new List<IReadOnlyList<RunOutput>>();
        long held = 0;
        foreach (var sample in spec.Open(runner.Inputs, batchSize: 1).Take(take))
        {
            var wire = ToWire(sample, runner.Inputs);
            var outputs = runner.Run(sample);
            var bytes = wire.Sum(t => t.Data.LongLength) + outputs.Sum(o => o.Values.LongLength * sizeof(float));
            if (samples.Count > 0 && held + bytes > bound)
            {
                var fit = samples.Count;
                if (spec.Count is not null)
                {
                    throw new DataException(string.Create(CultureInfo.InvariantCulture,
                        $"data spec '{spec.Text}': a sample's inputs and outputs are {FleetConsole.Bytes(bytes)} here, so {take} samples need about {FleetConsole.Bytes(bytes * take)}, more than the {FleetConsole.Bytes(bound)} this host keeps for comparing outputs; use @{fit} or fewer"));
                }
                notes.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"data {spec.Text}: {fit} samples sent, not {take}: a sample's inputs and outputs are {FleetConsole.Bytes(bytes)} here, and this host keeps at most {FleetConsole.Bytes(bound)} for comparing outputs"));
                break;
            }
            held += bytes;
            samples.Add(wire);
            host.Add(outputs);
        }

        if (samples.Count == 0)
        {
            throw new DataException($"data spec '{spec.Text}': no samples");
        }

        var set = new InputSetFile(spec.Text, samples);
        var cpu = EdgeCompress.Runtime.HostArchitecture.Uname;
        return new Prepared(set, host, $"this host ({cpu}, ONNX Runtime {OrtEnv.Instance().GetVersionString()}, 1 thread)");
    }

    /// <summary>Compares one device's outputs with the host's, per output.</summary>
    public static OutputAgreement Compare(Prepared prepared, IReadOnlyList<IReadOnlyList<WireTensor>> device, double threshold)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(device);
        var agreement = new OutputAgreement { Data = prepared.Set.Source, InputSet = prepared.Set.Sha256, Samples = device.Count };
        if (device.Count != prepared.HostOutputs.Count)
        {
            agreement.Failure = $"the device returned outputs for {device.Count} samples, the host computed {prepared.HostOutputs.Count}";
            return agreement;
        }

        var guard = new OutputGuard(threshold);
        for (var i = 0; i < device.Count; i++)
        {
            var reference = prepared.HostOutputs[i];
            var theirs = new List<RunOutput>(reference.Count);
            foreach (var output in reference)
            {
                var match = device[i].FirstOrDefault(t => t.Name == output.Name);
                if (match is null || match.ElementType != 1)
                {
                    agreement.Failure = $"sample {i}: the device returned no float32 output '{output.Name}'";
                    return agreement;
                }

                var values = MemoryMarshal.Cast<byte, float>(match.Data).ToArray();
                if (values.Length != output.Values.Length)
                {
                    agreement.Failure = $"sample {i}, output '{output.Name}': the device returned shape [{string.Join(',', match.Dims)}], the host [{string.Join(',', output.Dims)}]";
                    return agreement;
                }

                theirs.Add(new RunOutput(output.Name, match.Dims, values));
            }

            guard.Add(reference, theirs);
        }

        foreach (var output in guard.Outputs)
        {
            var m = output.ToManifest();
            agreement.Outputs.Add(new OutputAgreementLine
            {
                Name = output.Name,
                Kind = m.Kind,
                Cosine = output.Cosine,
                MaxAbsDifference = output.MaxAbsDifference,
                AgreementPercent = output.AgreementPercent,
                SqnrDb = m.SqnrDb,
                Summary = output.Describe(),
            });
        }

        agreement.Failure = guard.Failure(new GuardLimits());
        return agreement;
    }

    /// <summary>The agreement lines of every device that returned outputs.</summary>
    public static void Write(TextWriter output, Prepared prepared, IEnumerable<BenchRecord> records)
    {
        foreach (var record in records.Where(r => r.Agreement is not null))
        {
            var a = record.Agreement!;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"outputs on {record.Device} vs {prepared.HostDescription}, {a.Samples} samples of {a.Data} (input set {a.InputSet[..12]}):"));
            foreach (var line in a.Outputs)
            {
                var difference = line.Kind is "logits" or "dense" ? string.Create(CultureInfo.InvariantCulture, $", max |diff| {line.MaxAbsDifference:G4}") : "";
                output.WriteLine($"  {line.Name}: {line.Summary}{difference}");
            }

            output.WriteLine(a.Failure is null
                ? "  agrees within the quality guard's limits"
                : $"  DISAGREES: {a.Failure}");
        }
    }

    private static List<WireTensor> ToWire(Sample sample, IReadOnlyList<InputSpec> inputs)
    {
        var tensors = new List<WireTensor>(sample.Inputs.Count);
        for (var i = 0; i < sample.Inputs.Count; i++)
        {
            var t = sample.Inputs[i];
            var spec = inputs.FirstOrDefault(s => s.Name == t.Name) ?? inputs[i];
            tensors.Add(new WireTensor(spec.Name, (int)spec.ElementType, t.Dims, Bytes(t, spec)));
        }

        return tensors;
    }

    /// <summary>The values as the model input's element type wants them: the very conversion the host runner feeds with.</summary>
    private static byte[] Bytes(SampleTensor t, InputSpec spec)
    {
        using var value = ModelRunner.ToOrtValue(t, spec.ElementType);
        return value.GetTensorMutableRawData().ToArray();
    }
}
