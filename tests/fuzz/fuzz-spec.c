/* Study specs (.ini). A spec that loads must name its runs and print its settings. */
#include "fuzz.h"
#include "study/ms-study.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *path = fuzz_write ("studies/study.ini", data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsStudySpec) spec = ms_study_spec_load (path, &error);
  g_assert ((spec == NULL) != (error == NULL));
  if (spec == NULL)
    return 0;
  g_autoptr (GPtrArray) names = ms_study_run_names (spec);
  g_assert (names != NULL);
  g_free (ms_study_spec_settings_json (spec));
  return 0;
}
