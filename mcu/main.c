/* mcud entry point (being written). */
#include <stdio.h>
int main(void)
{
	return 0;
}
