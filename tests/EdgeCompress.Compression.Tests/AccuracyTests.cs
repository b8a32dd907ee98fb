using EdgeCompress.Compression.Evaluation;

namespace EdgeCompress.Compression.Tests;

public sealed class AccuracyTests
{
    [Fact]
    public void Top5_is_only_offered_when_the_model_has_more_than_five_classes()
    {
        // A 2-class text-direction classifier: every label is in the "top five", so 100% top-5 would say nothing.
        var two = new Accuracy();
        two.Add([0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f], [0, 1, 1]);
        Assert.Equal(2, two.Classes);
        Assert.False(two.HasTop5);
        Assert.Equal(200.0 / 3, two.Top1Percent, 6);

        var ten = new Accuracy();
        var logits = new float[10];
        logits[3] = 1;
        ten.Add(logits, [7]);
        Assert.True(ten.HasTop5);
        Assert.Equal(0, ten.Top1Percent);
        Assert.Equal(0, ten.Top5Percent);
    }
}
