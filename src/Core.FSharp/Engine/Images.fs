/// Image files through the shim's OpenCV: 8-bit RGB pixels, row-major (height, width, 3).
module Lrbs.Core.Engine.Images

/// Decodes an image and resizes it (bilinear, as Keras) to size x size; the error names the file.
let load (path: string) (size: int) : Result<byte[], string> =
    let out = Array.zeroCreate<byte>(size * size * 3)
    if Native.lrbs_image_load (path, size, out) < 0 then Error(Native.lastError ()) else Ok out

/// Writes an image; PNG or JPEG by the extension.
let save (path: string) (rgb: byte[]) (height: int) (width: int) =
    if rgb.Length <> height * width * 3 then
        invalidArg "rgb" $"{height}x{width}x3 needs {height * width * 3} bytes, got {rgb.Length}"

    Native.lrbs_image_save (path, rgb, height, width) |> Native.checkCode |> ignore
