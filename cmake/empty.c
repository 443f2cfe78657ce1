/* Placeholder so that a folder library with no sources yet links. */
int mcu_empty_placeholder(void);
int mcu_empty_placeholder(void)
{
	return 0;
}
