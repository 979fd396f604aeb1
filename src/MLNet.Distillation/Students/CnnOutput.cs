namespace MLNet.Distillation.Students;

/// <summary>How a CNN student turns its last block's feature maps into the feature vector its dense layers read.</summary>
public enum CnnOutput
{
    /// <summary>All values of the last feature maps, channel by channel (channels × height × width features).</summary>
    Flatten,
    /// <summary>The mean of each last feature map (one feature per channel): far fewer dense weights, no position information.</summary>
    GlobalAveragePool,
}
