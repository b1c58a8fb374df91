// Images through OpenCV: decode (PNG, JPEG, ...) and resize for the image-folder
// datasets, and write the generated stand-in dataset. Pixels cross the boundary as
// 8-bit RGB, row-major (height, width, 3).
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <cstring>
#include "guard.h"

extern "C" {

int lrbs_image_load(const char* path, int size, uint8_t* out) {
  LRBS_TRY
  if (path == nullptr || out == nullptr) throw std::invalid_argument("null argument");
  if (size < 1) throw std::invalid_argument("image size must be >= 1, got " + std::to_string(size));
  cv::Mat image = cv::imread(path, cv::IMREAD_COLOR);
  if (image.empty()) throw std::runtime_error(std::string(path) + ": not a readable image (OpenCV cannot decode it)");
  cv::Mat rgb, resized;
  cv::cvtColor(image, rgb, cv::COLOR_BGR2RGB);
  // bilinear, as Keras's image_dataset_from_directory resizes by default
  cv::resize(rgb, resized, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
  if (!resized.isContinuous()) resized = resized.clone();
  std::memcpy(out, resized.data, static_cast<size_t>(size) * size * 3);
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_image_save(const char* path, const uint8_t* rgb, int height, int width) {
  LRBS_TRY
  if (path == nullptr || rgb == nullptr) throw std::invalid_argument("null argument");
  cv::Mat image(height, width, CV_8UC3, const_cast<uint8_t*>(rgb)), bgr;
  cv::cvtColor(image, bgr, cv::COLOR_RGB2BGR);
  if (!cv::imwrite(path, bgr)) throw std::runtime_error(std::string(path) + ": OpenCV cannot write this image (unknown extension?)");
  return 0;
  LRBS_CATCH(-1)
}
}
