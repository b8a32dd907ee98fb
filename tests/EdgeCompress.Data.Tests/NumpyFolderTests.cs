using System.IO.Compression;
using EdgeCompress.Data.Tests.Support;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Data.Tests;

/// <summary>Folders of .npy and .npz arrays, written by a writer that follows the .npy format document.</summary>
public sealed class NumpyFolderTests : IDisposable
{
    private static readonly InputSpec Image = new("x", TensorProto.Types.DataType.Float, [-1, 3, 2, 2]);
    private readonly DataFolderFixture _folder = new();

    public void Dispose() => _folder.Dispose();

    private static float[] Values(int start, int count) => [.. Enumerable.Range(start, count).Select(i => i * 0.25f)];

    [Fact]
    public void Npy_files_of_one_sample_each_come_back_as_batches_with_the_same_floats()
    {
        for (var i = 0; i < 3; i++)
        {
            _folder.Bytes($"s{i}.npy", Npy.Floats([3, 2, 2], Values(i * 12, 12)));
        }

        var spec = DataSpec.Parse(_folder.Root);
        var batches = spec.Open([Image], batchSize: 2).ToList();

        Assert.Equal(DataKind.NumpyFolder, spec.Kind);
        Assert.Equal([[2L, 3, 2, 2], [1L, 3, 2, 2]], batches.Select(b => b.Inputs[0].Dims));
        Assert.Equal(Values(0, 36), batches.SelectMany(b => b.Inputs[0].Floats!));
        Assert.False(spec.IsLabelled);
    }

    [Fact]
    public void A_batch_file_is_labelled_per_row_from_labels_csv()
    {
        _folder.Bytes("batch.npy", Npy.Floats([4, 3, 2, 2], Values(0, 48)));
        _folder.Text("labels.csv", "batch.npy#0,3\nbatch.npy#1,1\nbatch.npy#2,4\nbatch.npy#3,1\n");

        var sample = Assert.Single(DataSpec.Parse(_folder.Root).Open([Image], batchSize: 8));

        Assert.Equal([3, 1, 4, 1], sample.Labels!);
        Assert.Equal(Values(0, 48), sample.Inputs[0].Floats!);
    }

    [Fact]
    public void Npz_archives_feed_two_inputs_by_name_stored_or_deflated()
    {
        WriteNpz("a.npz", CompressionLevel.NoCompression, ("x", Npy.Floats([3, 2, 2], Values(0, 12))), ("ids", Npy.Int64s([5], [1, 2, 3, 4, 5])));
        WriteNpz("b.npz", CompressionLevel.Optimal, ("x", Npy.Floats([3, 2, 2], Values(12, 12))), ("ids", Npy.Int64s([5], [6, 7, 8, 9, 10])));
        InputSpec ids = new("ids", TensorProto.Types.DataType.Int64, [-1, 5]);

        var sample = Assert.Single(DataSpec.Parse(_folder.Root).Open([Image, ids], batchSize: 2));

        Assert.Equal(Values(0, 24), sample.Inputs[0].Floats!);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), sample.Inputs[1].Int64s!);
        Assert.Equal([2L, 5], sample.Inputs[1].Dims);
    }

    [Fact]
    public void A_scalar_input_such_as_a_sample_rate_is_fed_as_is_one_archive_per_run()
    {
        // Silero VAD's inputs: audio [1, 512], sr int64 scalar, state [2, 1, 64] (batch on axis 1): nothing to gather.
        for (var i = 0; i < 3; i++)
        {
            WriteNpz($"{i}.npz", CompressionLevel.Optimal, ("input", Npy.Floats([1, 4], Values(i * 4, 4))), ("sr", Npy.Int64s([], [16000])),
                ("h", Npy.Floats([2, 1, 2], Values(0, 4))));
        }
        InputSpec[] inputs = [new("input", TensorProto.Types.DataType.Float, [-1, -1]), new("sr", TensorProto.Types.DataType.Int64, []),
            new("h", TensorProto.Types.DataType.Float, [2, -1, 2])];

        var samples = DataSpec.Parse(_folder.Root).Open(inputs, batchSize: 64).ToList();

        Assert.Equal(3, samples.Count);
        Assert.Equal(Values(8, 4), samples[2].Inputs[0].Floats!);
        Assert.Empty(samples[2].Inputs[1].Dims);
        Assert.Equal([16000L], samples[2].Inputs[1].Int64s!);
        Assert.Equal([2L, 1, 2], samples[2].Inputs[2].Dims);
    }

    [Fact]
    public void Per_sample_folders_hold_one_npy_per_input_and_are_labelled_by_folder_name()
    {
        _folder.Bytes("s1/x.npy", Npy.Floats([3, 2, 2], Values(0, 12)));
        _folder.Bytes("s1/ids.npy", Npy.Int64s([5], [1, 2, 3, 4, 5]));
        _folder.Text("labels.csv", "s1,7\n");

        var sample = Assert.Single(DataSpec.Parse(_folder.Root).Open([Image, new("ids", TensorProto.Types.DataType.Int64, [-1, 5])]));

        Assert.Equal([7], sample.Labels!);
        Assert.Equal([1L, 2, 3, 4, 5], sample.Inputs[1].Int64s!);
    }

    [Fact]
    public void Float16_bool_and_uint8_arrays_are_widened_exactly()
    {
        _folder.Bytes("h.npy", Npy.Halves([3, 2, 2], Values(0, 12)));
        var half = Assert.Single(DataSpec.Parse(_folder.Root).Open([Image])).Inputs[0].Floats!;
        File.Delete(_folder.PathOf("h.npy"));
        _folder.Bytes("b.npy", Npy.Write("|b1", [4], [0, 1, 0, 2]));
        var flags = Assert.Single(DataSpec.Parse(_folder.Root).Open([new InputSpec("m", TensorProto.Types.DataType.Bool, [1, 4])])).Inputs[0].Int64s!;
        File.Delete(_folder.PathOf("b.npy"));
        _folder.Bytes("u.npy", Npy.Write("|u1", [4], [0, 1, 128, 255]));
        var bytes = Assert.Single(DataSpec.Parse(_folder.Root).Open([new InputSpec("m", TensorProto.Types.DataType.Uint8, [1, 4])])).Inputs[0].Int64s!;

        Assert.Equal(Values(0, 12), half);
        Assert.Equal([0L, 1, 0, 1], flags);
        Assert.Equal([0L, 1, 128, 255], bytes);
    }

    [Fact]
    public void A_fortran_order_array_is_named_with_how_to_fix_it()
    {
        var path = _folder.Bytes("f.npy", Npy.Write("<f4", [3, 2, 2], new byte[48], fortranOrder: true));

        var e = Assert.Throws<DataException>(() => DataSpec.Parse(_folder.Root).Open([Image]).ToList());

        Assert.Equal($"{path}: array is in Fortran order (fortran_order True); save it in C order, e.g. np.save(f, np.ascontiguousarray(a))", e.Message);
    }

    [Fact]
    public void A_shape_or_dtype_that_does_not_fit_the_input_is_named()
    {
        var path = _folder.Bytes("a.npy", Npy.Floats([3, 4, 4], new float[48]));
        var shape = Assert.Throws<DataException>(() => DataSpec.Parse(_folder.Root).Open([Image]).ToList());
        File.WriteAllBytes(path, Npy.Int64s([3, 2, 2], new long[12]));
        var dtype = Assert.Throws<DataException>(() => DataSpec.Parse(_folder.Root).Open([Image]).ToList());

        Assert.Equal($"{path}: array shape [3x4x4] does not fit model input 'x' [?x3x2x2]", shape.Message);
        Assert.Equal($"{path}: dtype int64 does not fit model input 'x' of type float32", dtype.Message);
    }

    [SkippableFact]
    public void Arrays_saved_by_numpy_itself_read_back_equal()
    {
        Skip.IfNot(File.Exists("/usr/bin/python3"), "no /usr/bin/python3");
        var script = $"""
            import numpy as np
            x = (np.arange(24, dtype=np.float64) / 7).reshape(2, 3, 2, 2)
            np.savez_compressed(r'{_folder.Root}/batch.npz', x=x, ids=np.arange(10, dtype=np.int32).reshape(2, 5))
            """;
        using var python = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/bin/python3", ["-c", script]) { RedirectStandardError = true })!;
        var error = python.StandardError.ReadToEnd();
        python.WaitForExit();
        Skip.If(error.Contains("No module named 'numpy'", StringComparison.Ordinal), "numpy is not installed");
        Assert.True(python.ExitCode == 0, error);

        var sample = Assert.Single(DataSpec.Parse(_folder.Root).Open([Image, new("ids", TensorProto.Types.DataType.Int32, [-1, 5])]));

        Assert.Equal(Enumerable.Range(0, 24).Select(i => (float)(i / 7.0)), sample.Inputs[0].Floats!);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), sample.Inputs[1].Int64s!);
    }

    private void WriteNpz(string name, CompressionLevel level, params (string Name, byte[] Npy)[] arrays)
    {
        using var zip = ZipFile.Open(_folder.PathOf(name), ZipArchiveMode.Create);
        foreach (var (arrayName, npy) in arrays)
        {
            using var stream = zip.CreateEntry(arrayName + ".npy", level).Open();
            stream.Write(npy);
        }
    }
}
