using System.Security.Cryptography;
using EdgeCompress.Onnx;
using EdgeCompress.Onnx.Protos;

namespace EdgeCompress.Fleet.Tests;

public sealed class ModelUploadTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fleet-upload-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_model_without_external_data_is_uploaded_as_it_is_and_nothing_is_copied()
    {
        var model = ModelFile.Open(FleetModels.WriteMlp(_folder));

        using var upload = ModelUpload.Prepare(model);

        Assert.Same(model, upload.File);
        Assert.Equal(model.Path, upload.File.UploadPath);
        Assert.Equal(0, upload.InlinedExternalDataFiles);
    }

    [Fact]
    public void External_data_is_inlined_into_one_temp_file_that_holds_every_weight_and_is_deleted_on_dispose()
    {
        var path = ExternalDataModels.WriteMlp(_folder, "split.onnx", dataFiles: 2, width: 64, seed: 3);
        var graphOnly = ModelFile.Open(path);
        var expected = OnnxModel.Load(path).ToBytes();

        var upload = ModelUpload.Prepare(graphOnly);
        var copy = upload.File.UploadPath;
        var sent = File.ReadAllBytes(copy);
        var reloaded = OnnxModel.Load(new MemoryStream(sent));
        upload.Dispose();

        Assert.Equal(2, upload.InlinedExternalDataFiles);
        Assert.Equal(path, upload.File.Path);
        Assert.Equal("split", upload.File.DefaultName);
        Assert.NotEqual(path, copy);
        Assert.Equal(expected, sent);
        Assert.Equal((Convert.ToHexStringLower(SHA256.HashData(sent)), (long)sent.Length), (upload.File.Sha256, upload.File.Length));
        Assert.True(sent.Length > 2 * 64 * 64 * 4, $"the upload is {sent.Length} bytes, less than its two 64x64 float weights");
        Assert.DoesNotContain(ModelWalker.Tensors(reloaded.Proto), t => t.Tensor.DataLocation == TensorProto.Types.DataLocation.External);
        Assert.False(File.Exists(copy));
        Assert.False(Directory.Exists(Path.GetDirectoryName(copy)));
    }

    [Fact]
    public void A_missing_external_data_file_is_one_usage_line_naming_it()
    {
        var path = ExternalDataModels.WriteMlp(_folder, "lost.onnx", dataFiles: 2, width: 32);
        File.Delete(Path.Combine(_folder, "lost.onnx.1.data"));

        var error = Assert.Throws<FleetException>(() => ModelUpload.Prepare(ModelFile.Open(path)));

        Assert.Equal(FleetProblem.Usage, error.Problem);
        Assert.Equal("lost.onnx: external data file 'lost.onnx.1.data' for tensor 'w1' not found next to the model; nothing uploaded", error.Message);
    }

    [Fact]
    public void A_short_external_data_file_is_one_usage_line_naming_it_and_its_size()
    {
        var path = ExternalDataModels.WriteMlp(_folder, "cut.onnx", dataFiles: 1, width: 32);
        using (var data = File.OpenWrite(Path.Combine(_folder, "cut.onnx.data")))
        {
            data.SetLength(5000);
        }

        var error = Assert.Throws<FleetException>(() => ModelUpload.Prepare(ModelFile.Open(path)));

        Assert.Equal(FleetProblem.Usage, error.Problem);
        Assert.Equal("cut.onnx: tensor 'w1' reads bytes 4096..8192 of 'cut.onnx.data', which holds 5000; nothing uploaded", error.Message);
    }

    [Fact]
    public void A_model_over_2_GiB_with_its_external_data_is_refused_before_any_of_it_is_read()
    {
        // Two 1.2 GB tensors in a sparse file: what a large language model export looks like, without the disk use.
        var path = ExternalDataModels.WriteHuge(_folder, "huge.onnx", elements: 300_000_000);

        var error = Assert.Throws<FleetException>(() => ModelUpload.Prepare(ModelFile.Open(path)));

        Assert.Equal(FleetProblem.Usage, error.Problem);
        Assert.Equal("huge.onnx: 2.24 GiB with its external data, over the 2 GiB a single ONNX file can hold (protobuf's limit); " +
                     "edged stores a model as one file, so this one cannot be pushed until edged takes multi-file uploads", error.Message);
    }
}
